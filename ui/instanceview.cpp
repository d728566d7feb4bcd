// SPDX-License-Identifier: MIT
#include "instanceview.h"

#include "chartpanel.h"
#include "counterspanel.h"
#include "eventtimeline.h"
#include "healthbar.h"
#include "plaintext.h"
#include "problemspanel.h"
#include "remotefeed.h"
#include "remoteinstance.h"
#include "statustext.h"
#include "topicpanel.h"
#include "util/timeformat.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

namespace iot {
namespace {

enum Tab { OverviewTab, TopicsTab, ProblemsTab, EventsTab };

/// The level of a state word of /api/v1/events, as the local window would show that state.
StatusLevel levelOf(const QString &state)
{
    if (state == QLatin1String("connected"))
        return StatusLevel::Ok;
    if (state == QLatin1String("connecting") || state == QLatin1String("stopping"))
        return StatusLevel::Busy;
    if (state == QLatin1String("reconnecting"))
        return StatusLevel::Warning;
    if (state == QLatin1String("disconnected"))
        return StatusLevel::Off;
    return StatusLevel::Error;   // retrying, blocked, failed
}

QString pillStyle(RemoteInstance::Health health)
{
    const char *colour = "#8a8a8a";
    switch (health) {
    case RemoteInstance::Health::Ok: colour = "#2e7d32"; break;
    case RemoteInstance::Health::Warning: colour = "#b26a00"; break;
    case RemoteInstance::Health::Error: colour = "#c62828"; break;
    case RemoteInstance::Health::Unreachable: colour = "#5f6368"; break;
    case RemoteInstance::Health::Unknown: break;
    }
    return QStringLiteral("QLabel { background: %1; color: white; border-radius: 8px; padding: 2px 10px; "
                          "font-weight: bold; }")
        .arg(QLatin1String(colour));
}

} // namespace

InstanceView::InstanceView(RemoteInstance &instance, QWidget *parent)
    : QWidget(parent), m_instance(instance), m_feed(new RemoteFeed(instance, this))
{
    setObjectName(QStringLiteral("instanceView"));
    createPanels();
    connectFeed();
    m_clock.setInterval(1000);
    connect(&m_clock, &QTimer::timeout, this, [this] {
        renderHeader();
        m_topics->refresh(TimeFormat::nowUs(), m_feed->graceUs());
    });
    m_clock.start();
    if (m_feed->hasData())
        render();
    renderHeader();
}

InstanceView::~InstanceView() = default;

void InstanceView::createPanels()
{
    m_title = new QLabel(this);
    m_title->setTextFormat(Qt::RichText);   // the name and URL are escaped
    m_title->setObjectName(QStringLiteral("instanceTitle"));
    m_pill = new QLabel(this);
    m_pill->setObjectName(QStringLiteral("healthPill"));
    auto *readOnly = new QLabel(tr("read only"), this);
    readOnly->setObjectName(QStringLiteral("readOnly"));
    readOnly->setToolTip(tr("Watched through its status API: nothing here changes the instance (no pause, "
                            "reconnect, settings or replay)."));
    readOnly->setStyleSheet(QStringLiteral("QLabel { border: 1px solid palette(mid); border-radius: 8px; "
                                           "padding: 1px 8px; }"));
    auto *header = new QHBoxLayout;
    header->addWidget(m_title, 1);
    header->addWidget(readOnly);
    header->addWidget(m_pill);

    m_banner = PlainText::label(new QLabel(this));
    m_banner->setObjectName(QStringLiteral("staleBanner"));
    m_banner->setWordWrap(true);
    m_banner->setStyleSheet(QStringLiteral("QLabel { background: #fff3cd; color: #5c4400; border: 1px solid #e0c36c; "
                                           "padding: 4px 8px; }"));

    m_health = new HealthBar(this);
    m_counters = new CountersPanel(this);
    m_charts = new ChartPanel(this);
    m_topics = new TopicPanel(m_feed->topicStats(), this);
    m_problems = new ProblemsPanel(this, ProblemsPanel::LogSource::Remote);
    m_events = new EventTimeline(this);

    auto *overview = new QSplitter(Qt::Horizontal, this);
    overview->addWidget(m_counters);
    overview->addWidget(m_charts);
    overview->setStretchFactor(0, 0);
    overview->setStretchFactor(1, 1);
    overview->setSizes({360, 840});
    m_overview = overview;
    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(overview, tr("&Overview"));
    m_tabs->addTab(m_topics, tr("&Topics"));
    m_tabs->addTab(m_problems, tr("&Problems"));
    m_tabs->addTab(m_events, tr("&Events"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(header);
    layout->addWidget(m_banner);
    layout->addWidget(m_health);
    layout->addWidget(m_tabs, 1);
}

void InstanceView::connectFeed()
{
    connect(m_feed, &RemoteFeed::snapshotUpdated, this, [this](const EngineSnapshot &s) {
        m_charts->setBufferLimit(s.maxBuffered);
        m_charts->addSample(s);
        render();
    });
    connect(m_feed, &RemoteFeed::staleChanged, this, [this](bool stale) {
        const qint64 now = TimeFormat::nowUs();
        if (stale && m_feed->hasData()) {
            m_staleSinceUs = m_feed->dataAtUs();
            m_events->addEvent(now, tr("Instance"), StatusLevel::Error,
                               tr("Not answering (%1): the figures shown are from %2")
                                   .arg(m_instance.problem(), StatusText::clock(m_feed->dataAtUs())));
        } else if (!stale && m_staleSinceUs > 0) {
            m_events->addEvent(now, tr("Instance"), StatusLevel::Ok,
                               tr("Answering again (no answer for %1)")
                                   .arg(StatusText::duration(now - m_staleSinceUs)));
            m_staleSinceUs = 0;
        }
        renderHeader();
    });
    connect(m_feed, &RemoteFeed::restarted, this, [this] {
        m_events->addEvent(m_feed->snapshot().startedAtUs, tr("Instance"), StatusLevel::Busy,
                           tr("Restarted (a new process: its counters start again; the dead letters listed "
                              "before are the previous process's)"));
        // Kept, not cleared: they are real messages the operator may not have looked at yet, and the dead-letter
        // table still holds them; marked so that they are never taken for the new process's.
        m_problems->markRestart(m_feed->snapshot().startedAtUs);
    });
    connect(&m_instance, &RemoteInstance::updated, this, &InstanceView::renderHeader);
    connect(m_feed, &RemoteFeed::deadLettered, m_problems, &ProblemsPanel::addDeadLetter);
    connect(m_feed, &RemoteFeed::eventArrived, this,
            [this](qint64 timeUs, const QString &source, const QString &state, const QString &detail) {
                const QString text = detail.isEmpty() ? state : detail.left(1).toUpper() + detail.mid(1);
                m_events->addEvent(timeUs, source == QLatin1String("mqtt") ? tr("MQTT") : tr("Database"),
                                   levelOf(state), text);
            });
    connect(m_topics, &TopicPanel::summaryChanged, this,
            [this](const QString &summary) { m_tabs->setTabText(TopicsTab, tr("&Topics (%1)").arg(summary)); });
    connect(m_problems, &ProblemsPanel::unseenChanged, this, [this](quint64 unseen) {
        if (unseen > 0 && m_tabs->currentIndex() == ProblemsTab) {
            m_problems->markSeen();
            return;
        }
        m_tabs->setTabText(ProblemsTab, unseen ? tr("&Problems (%1 new)").arg(StatusText::count(unseen))
                                               : tr("&Problems"));
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        if (index == ProblemsTab)
            m_problems->markSeen();
    });
}

void InstanceView::render()
{
    const qint64 now = TimeFormat::nowUs();
    const EngineSnapshot &s = m_feed->snapshot();
    m_health->render(s, now, true, 0);
    m_counters->render(s, m_feed->latency(), now);
    m_topics->refresh(now, m_feed->graceUs());
    m_problems->flush(s.deadLettered);
    renderHeader();
}

bool InstanceView::showsStale() const
{
    return !m_banner->isHidden();
}

void InstanceView::renderHeader()
{
    // The operator's name for it first (the Add dialog's), else the instance's own (observability.service_name).
    QString name = m_instance.name().isEmpty() ? m_feed->instanceName() : m_instance.name();
    if (name.isEmpty())
        name = tr("Remote instance");
    const QString host = m_feed->hostName().isEmpty() ? QString() : tr(" on %1").arg(m_feed->hostName());
    m_title->setText(QStringLiteral("<b>%1</b>%2 — %3").arg(name.toHtmlEscaped(), host.toHtmlEscaped(),
                                                             m_instance.url().toDisplayString().toHtmlEscaped()));
    const RemoteInstance::Health health = m_instance.health();
    m_pill->setText(RemoteInstance::healthName(health));
    m_pill->setStyleSheet(pillStyle(health));
    m_pill->setToolTip(PlainText::toolTip(m_instance.problem()));
    m_pill->setAccessibleName(tr("Health: %1").arg(RemoteInstance::healthName(health)));

    const bool stale = m_feed->stale();
    // Stale figures stay readable but greyed, and the banner says how old they are: never shown as current.
    m_health->setEnabled(!stale);
    m_overview->setEnabled(!stale);
    m_banner->setVisible(stale);
    if (!stale)
        return;
    const QString problem = m_instance.problem();
    if (!m_feed->hasData()) {
        m_banner->setText(problem.isEmpty() ? tr("Waiting for the first answer from %1…")
                                                  .arg(m_instance.url().toDisplayString())
                                            : tr("No data from %1: %2").arg(m_instance.url().toDisplayString(),
                                                                           problem));
        return;
    }
    const qint64 now = TimeFormat::nowUs();
    m_banner->setText(tr("STALE — the instance does not answer (%1). The figures below are from %2 (%3 old) and "
                         "are not current.")
                          .arg(problem.isEmpty() ? tr("no answer") : problem,
                               StatusText::clock(m_feed->dataAtUs()),
                               StatusText::duration(now - m_feed->dataAtUs())));
}

} // namespace iot
