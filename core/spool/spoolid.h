// SPDX-License-Identifier: MIT
#pragma once

#include "util/result.h"

#include <QByteArray>
#include <QString>

namespace iot {

/// The identity of one spool directory: a random id made when the directory is first used and kept in its
/// `SPOOL_ID` file, which keys the directory's checkpoint row in the database. Not the MQTT client id: two machines
/// cloned from one image share a host name, and a replaced directory must not inherit its predecessor's position.
/// Read once by Spool::open (before either thread starts).
struct SpoolId
{
    /// How the id came about, which decides what the writer may do with checkpoints it finds.
    enum class Origin {
        Existing,  // read from SPOOL_ID
        Created,   // an empty spool: a new id
        Legacy,    // records but no SPOOL_ID: a spool of a version before spool ids (or the file was deleted); a
                   // new id, which may take over the old checkpoint row of this client id once
        Damaged,   // SPOOL_ID unreadable as an id (kept as SPOOL_ID.damaged): a new id, no checkpoint to take over
    };

    QByteArray id;  // 32 lower-case hex digits (128 random bits)
    Origin origin = Origin::Created;

    static constexpr const char *FileName = "SPOOL_ID";
    /// Reads `dir`/SPOOL_ID or makes a new id (written to a temporary file, fdatasync'd, renamed, directory
    /// synced; mode 0600 like the segments). `hasRecords`: the spool holds records (decides Created or Legacy).
    static Result<SpoolId> load(const QString &dir, bool hasRecords);
    /// 32 hex digits and nothing else (a trailing newline allowed).
    static bool isValid(QByteArrayView text);
};

} // namespace iot
