// SPDX-License-Identifier: MIT
#include "healthbar.h"

#include "plaintext.h"

#include "icons.h"

#include <QEvent>
#include <QGridLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QStyle>

#include <algorithm>

namespace iot {
namespace {

constexpr int MaxWords = 150;

QLabel *heading(const QString &text, QWidget *parent)
{
    auto *l = new QLabel(text, parent);
    QFont f = l->font();
    f.setBold(true);
    l->setFont(f);
    return l;
}

QString shortened(const QString &text)
{
    return text.size() <= MaxWords ? text : text.left(MaxWords - 1) + QStringLiteral("…");
}

} // namespace

HealthBar::HealthBar(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("healthBar"));
    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(8, 6, 8, 6);
    grid->setHorizontalSpacing(8);
    grid->setVerticalSpacing(4);
    const auto makeRow = [&](Row &row, const QString &title, const QString &objectName, int r) {
        row.icon = new QLabel(this);
        row.words = PlainText::label(new QLabel(this));  // carries the broker's or server's own words
        row.words->setObjectName(objectName);
        row.words->setTextInteractionFlags(Qt::TextSelectableByMouse);
        row.words->setMinimumWidth(200);
        row.words->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        grid->addWidget(row.icon, r, 0);
        grid->addWidget(heading(title, this), r, 1);
        grid->addWidget(row.words, r, 2);
    };
    makeRow(m_mqtt, tr("MQTT"), QStringLiteral("mqttState"), 0);
    makeRow(m_db, tr("Database"), QStringLiteral("dbState"), 1);
    makeRow(m_reading, tr("Reading"), QStringLiteral("readingState"), 2);

    m_buffer = new QProgressBar(this);
    m_buffer->setObjectName(QStringLiteral("bufferBar"));
    m_buffer->setAccessibleName(tr("Buffer fill"));
    m_buffer->setTextVisible(true);
    m_buffer->setMinimumWidth(160);
    m_buffer->setMaximumWidth(260);
    m_bufferWords = PlainText::label(new QLabel(this));
    m_bufferWords->setObjectName(QStringLiteral("bufferWords"));
    m_spool = new QProgressBar(this);
    m_spool->setObjectName(QStringLiteral("spoolBar"));
    m_spool->setAccessibleName(tr("Spool fill"));
    m_spool->setMinimumWidth(160);
    m_spool->setMaximumWidth(260);
    m_spoolWords = PlainText::label(new QLabel(this));
    m_spoolWords->setObjectName(QStringLiteral("spoolWords"));
    m_uptime = new QLabel(this);
    m_uptime->setObjectName(QStringLiteral("uptime"));
    m_uptime->setTextInteractionFlags(Qt::TextSelectableByMouse);

    grid->addWidget(heading(tr("Buffer"), this), 0, 3);
    grid->addWidget(m_buffer, 0, 4);
    grid->addWidget(m_bufferWords, 0, 5);
    grid->addWidget(heading(tr("Spool"), this), 1, 3);
    grid->addWidget(m_spool, 1, 4);
    grid->addWidget(m_spoolWords, 1, 5);
    grid->addWidget(heading(tr("Uptime"), this), 2, 3);
    grid->addWidget(m_uptime, 2, 4, 1, 2);
    grid->setColumnStretch(2, 3);
    grid->setColumnStretch(5, 2);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::AlternateBase);
}

void HealthBar::setState(Row &row, const StatusView &view, const QString &what)
{
    if (!row.set || row.level != view.level) {
        const int px = style()->pixelMetric(QStyle::PM_SmallIconSize) + 4;
        row.icon->setPixmap(Icons::state(view.level).pixmap(QSize(px, px), devicePixelRatioF()));
        row.icon->setToolTip(Icons::stateName(view.level));
        row.level = view.level;
        row.set = true;
    }
    row.words->setText(shortened(view.words));
    const QString tip = view.tooltip.isEmpty() ? view.words : view.words + QStringLiteral("\n") + view.tooltip;
    row.words->setToolTip(PlainText::toolTip(tip));
    row.words->setAccessibleName(what + QStringLiteral(": ") + view.words);
}

void HealthBar::renderOff(const EngineSnapshot &s, qint64 nowUs, qint64 launchedAtUs)
{
    render(s, nowUs, false, launchedAtUs);
    setState(m_mqtt, {StatusLevel::Off, tr("Off: not connected (the local engine is turned off)"), {}}, tr("MQTT"));
    setState(m_db, {StatusLevel::Off, tr("Off: everything buffered was committed"), {}}, tr("Database"));
    setState(m_reading,
             {StatusLevel::Off, tr("Local engine off: nothing is ingested on this computer"),
              tr("Turned off in this window. Turn it on again with Ingestion → Turn local engine on.")},
             tr("Reading"));
}

void HealthBar::render(const EngineSnapshot &s, qint64 nowUs, bool running, qint64 launchedAtUs)
{
    const StatusView mqtt = StatusText::mqtt(s, nowUs, running);
    const StatusView db = StatusText::database(s, nowUs, running);
    setState(m_mqtt, mqtt, tr("MQTT"));
    setState(m_db, db, tr("Database"));
    setState(m_reading, StatusText::reading(s, running), tr("Reading"));
    m_mqttLevel = mqtt.level;
    m_dbLevel = db.level;

    // QProgressBar counts in int; a limit above that is scaled (the words say the real numbers).
    const quint64 limit = std::max<quint64>(1, s.maxBuffered);
    const int scale = limit > 1000000000ULL ? 1000 : 1;
    m_buffer->setRange(0, int(limit / quint64(scale)));
    m_buffer->setValue(int(std::min(s.inFlight, limit) / quint64(scale)));
    const double pct = 100.0 * double(s.inFlight) / double(limit);
    m_buffer->setFormat(QStringLiteral("%1 %").arg(pct, 0, 'f', pct < 10 ? 1 : 0));
    // Both bounds, since either one pauses reading (or sends the backlog to the spool).
    m_bufferWords->setText(tr("%1 of %2 messages, %3 of %4 MiB in memory")
                               .arg(StatusText::count(s.inFlight), StatusText::count(s.maxBuffered))
                               .arg(double(s.bufferedBytes) / (1 << 20), 0, 'f', 1)
                               .arg(double(s.maxBufferedBytes) / (1 << 20), 0, 'f', 0));
    m_buffer->setToolTip(tr("Received, not yet committed. At either limit (max_buffered_messages, max_buffered_mb) "
                            "the backlog goes to the spool, or without one reading pauses and the broker holds new "
                            "messages until the database catches up."));

    if (s.spoolEnabled) {
        const quint64 mb = 1024 * 1024;
        const quint64 max = std::max<quint64>(1, s.spoolMaxBytes);
        m_spool->setRange(0, int(max / mb + 1));
        m_spool->setValue(int(std::min(s.spoolBytes, max) / mb));
        const double spct = 100.0 * double(s.spoolBytes) / double(max);
        m_spool->setFormat(QStringLiteral("%1 %").arg(spct, 0, 'f', spct < 10 ? 1 : 0));
        QString words = tr("%1 MiB of %2 MiB on disk")
                            .arg(QLocale().toString(double(s.spoolBytes) / double(mb), 'f', 1))
                            .arg(StatusText::count(s.spoolMaxBytes / mb));
        if (s.spoolState != SpoolState::Ok)
            words = StatusText::spoolTrouble(s.spoolState).toUpper() + tr(": new messages in memory only — ") + words;
        if (s.spoolWriteErrors > 0)
            words += tr(" — %1 write errors").arg(StatusText::count(s.spoolWriteErrors));
        m_spoolWords->setText(words);
        m_spool->setEnabled(true);
    } else {
        m_spool->setRange(0, 1);
        m_spool->setValue(0);
        m_spool->setFormat(tr("off"));
        m_spool->setEnabled(false);
        m_spoolWords->setText(tr("no disk spool configured"));
    }

    // Before the engine has started (or for a remote before its first answer) there is no start time: not 56 years.
    const qint64 startedUs = launchedAtUs > 0 ? launchedAtUs : s.startedAtUs;
    QString up = startedUs > 0 ? StatusText::uptime(nowUs - startedUs) : tr("not started");
    up += tr(" · last commit ") + (s.lastCommitUs > 0 ? StatusText::ago(s.lastCommitUs, nowUs) : tr("none yet"));
    m_uptime->setText(up);
}

void HealthBar::changeEvent(QEvent *event)
{
    // Icons are rendered for the screen's pixel ratio: redo them when it (or the style) changes.
    if (event->type() == QEvent::StyleChange || event->type() == QEvent::ScreenChangeInternal)
        m_mqtt.set = m_db.set = m_reading.set = false;
    QWidget::changeEvent(event);
}

QString HealthBar::mqttText() const
{
    return m_mqtt.words->text();
}

QString HealthBar::databaseText() const
{
    return m_db.words->text();
}

QString HealthBar::readingText() const
{
    return m_reading.words->text();
}

QString HealthBar::bufferText() const
{
    return m_bufferWords->text();
}

} // namespace iot
