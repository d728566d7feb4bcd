// SPDX-License-Identifier: MIT
#pragma once

#include <QTimer>
#include <QWidget>

class QLabel;
class QTabWidget;

namespace iot {

class ChartPanel;
class CountersPanel;
class EventTimeline;
class HealthBar;
class ProblemsPanel;
class RemoteFeed;
class RemoteInstance;
class TopicPanel;

/// One remote instance of the fleet view, read only: a header (name, URL, health pill, "read only", a stale banner
/// with the age of the data while it does not answer) over the same health bar, Overview, Topics, Problems and
/// Events panels as the main window, fed by a RemoteFeed of its status API. Offers nothing that changes the remote.
/// Lives on the GUI thread.
class InstanceView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InstanceView)
public:
    InstanceView(RemoteInstance &instance, QWidget *parent = nullptr);
    ~InstanceView() override;

    // The parts, for tests and the screenshot.
    RemoteFeed *feed() const { return m_feed; }
    HealthBar *health() const { return m_health; }
    CountersPanel *counters() const { return m_counters; }
    ChartPanel *charts() const { return m_charts; }
    TopicPanel *topics() const { return m_topics; }
    ProblemsPanel *problems() const { return m_problems; }
    EventTimeline *events() const { return m_events; }
    QTabWidget *tabs() const { return m_tabs; }
    QLabel *titleLabel() const { return m_title; }
    QLabel *healthPill() const { return m_pill; }
    /// Shown while the figures are not current (before the first answer, or the instance silent).
    QLabel *staleBanner() const { return m_banner; }
    bool showsStale() const;

private:
    void createPanels();
    void connectFeed();
    void render();
    void renderHeader();

    RemoteInstance &m_instance;
    RemoteFeed *m_feed = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_pill = nullptr;
    QLabel *m_banner = nullptr;
    HealthBar *m_health = nullptr;
    CountersPanel *m_counters = nullptr;
    ChartPanel *m_charts = nullptr;
    TopicPanel *m_topics = nullptr;
    ProblemsPanel *m_problems = nullptr;
    EventTimeline *m_events = nullptr;
    QTabWidget *m_tabs = nullptr;
    QWidget *m_overview = nullptr;
    QTimer m_clock;            // the header's age of the data and the topics' time columns, once a second
    qint64 m_staleSinceUs = 0;   // while stale: when the data shown was current
};

} // namespace iot
