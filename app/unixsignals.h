// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>

namespace iot {

/// Turns SIGINT/SIGTERM into a Qt signal on the main thread (self-pipe: the handler only writes one byte) and
/// ignores SIGPIPE. Create one, on the main thread, after the application object and before the engine starts.
class UnixSignals final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UnixSignals)
public:
    explicit UnixSignals(QObject *parent = nullptr);
    ~UnixSignals() override;

Q_SIGNALS:
    void terminationRequested(int signal);
};

} // namespace iot
