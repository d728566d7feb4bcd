// SPDX-License-Identifier: MIT
#pragma once

#include <QAbstractTableModel>
#include <QByteArray>
#include <QString>

#include <deque>
#include <vector>

namespace iot {

/// One message the database could not take, as the engine reported it.
struct DeadLetter
{
    qint64 receivedAtUs = 0;
    QByteArray topic;
    QString reason;
    /// When the process that reported it was replaced by a new one (0: reported by the process running now).
    qint64 beforeRestartAtUs = 0;
};

/// The most recent dead letters (newest first, at most `capacity`), added in bulk once per refresh. Lives on the
/// GUI thread.
class DeadLetterModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DeadLetterModel)
public:
    enum Column { TimeColumn, TopicColumn, ReasonColumn, ColumnCount };

    explicit DeadLetterModel(int capacity = 1000, QObject *parent = nullptr);

    /// `batch` in arrival order; they go on top.
    void add(const std::vector<DeadLetter> &batch);
    const DeadLetter &at(int row) const { return m_rows[std::size_t(row)]; }
    /// The instance restarted at `restartAtUs`: every row not yet marked is the previous process's from now on
    /// (kept, greyed, its time saying "before restart at …"). Returns how many rows were marked.
    int markBeforeRestart(qint64 restartAtUs);
    /// Rows reported by the process running now.
    int currentCount() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    const int m_capacity;
    std::deque<DeadLetter> m_rows;   // newest first
};

} // namespace iot
