// SPDX-License-Identifier: MIT
#include "topicdetails.h"

#include "plaintext.h"

#include "jsontext.h"
#include "statustext.h"

#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QFontDatabase>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <limits>

namespace iot {

TopicDetails::TopicDetails(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_title = PlainText::label(new QLabel(tr("Select a topic to see its latest payload"), this));  // a topic
    m_title->setObjectName(QStringLiteral("topicTitle"));
    m_title->setWordWrap(true);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_facts = PlainText::label(new QLabel(this));
    m_facts->setWordWrap(true);
    m_facts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_payload = new QPlainTextEdit(this);
    m_payload->setObjectName(QStringLiteral("topicPayload"));
    m_payload->setReadOnly(true);
    m_payload->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_payload->setAccessibleName(tr("Latest payload"));
    m_payload->setTabChangesFocus(true);
    m_fields = new QListWidget(this);
    m_fields->setObjectName(QStringLiteral("topicFields"));
    m_fields->setAccessibleName(tr("Numeric fields to plot"));
    m_fields->setToolTip(tr("Tick a field (Space) to plot it live"));

    m_chart = new QChart;
    m_chart->setTitle(tr("Plotted fields"));
    m_chart->setAnimationOptions(QChart::NoAnimation);
    m_chart->legend()->setAlignment(Qt::AlignTop);
    m_chart->setMargins(QMargins(2, 2, 2, 2));
    m_x = new QDateTimeAxis(m_chart);
    m_x->setFormat(QStringLiteral("HH:mm:ss"));
    m_x->setTickCount(4);
    m_y = new QValueAxis(m_chart);
    m_chart->addAxis(m_x, Qt::AlignBottom);
    m_chart->addAxis(m_y, Qt::AlignLeft);
    const QPalette pal = palette();
    const bool dark = pal.color(QPalette::Window).lightness() < 128;
    m_chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    m_chart->setBackgroundBrush(pal.brush(QPalette::Base));
    m_chart->setTitleBrush(pal.brush(QPalette::Text));
    m_chart->legend()->setLabelColor(pal.color(QPalette::Text));
    for (QAbstractAxis *axis : m_chart->axes())
        axis->setLabelsColor(pal.color(QPalette::Text));
    m_chartView = new QChartView(m_chart, this);
    m_chartView->setRenderHint(QPainter::Antialiasing);
    m_chartView->setMinimumHeight(140);
    m_chartView->setAccessibleName(tr("Plot of the ticked fields"));

    auto *fieldsBox = new QWidget(this);
    auto *fieldsLayout = new QVBoxLayout(fieldsBox);
    fieldsLayout->setContentsMargins(0, 0, 0, 0);
    auto *fieldsLabel = new QLabel(tr("Numeric &fields (tick to plot):"), fieldsBox);
    fieldsLabel->setBuddy(m_fields);
    fieldsLayout->addWidget(fieldsLabel);
    fieldsLayout->addWidget(m_fields);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_payload);
    split->addWidget(fieldsBox);
    split->addWidget(m_chartView);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setStretchFactor(2, 3);
    layout->addWidget(m_title);
    layout->addWidget(m_facts);
    layout->addWidget(split, 1);

    connect(m_fields, &QListWidget::itemChanged, this, &TopicDetails::onItemChanged);
}

void TopicDetails::showTopic(const QString &topic, const TopicSample *sample, double rate, qint64 nowUs)
{
    if (topic != m_topic) {
        m_topic = topic;
        m_version = 0;
        m_lastPayload.clear();
        for (QLineSeries *s : std::as_const(m_series)) {
            m_chart->removeSeries(s);
            delete s;
        }
        m_series.clear();
        m_fields->clear();
        m_payload->clear();
        m_title->setText(topic.isEmpty() ? tr("Select a topic to see its latest payload") : topic);
    }
    if (!sample) {
        m_facts->setText(topic.isEmpty() ? QString() : tr("A level of the hierarchy; select a topic below it."));
        return;
    }
    QString facts = tr("%1 stored · %2 · last seen %3 · %4 bytes")
                        .arg(StatusText::count(sample->count), StatusText::rate(rate),
                             StatusText::ago(sample->lastSeenUs, nowUs))
                        .arg(sample->payloadSize);
    if (sample->payloadTruncated())
        facts += tr(" · showing the first %1 bytes").arg(sample->lastPayload.size());
    m_facts->setText(facts);
    if (sample->version == m_version)
        return;
    m_version = sample->version;
    if (sample->lastPayload != m_lastPayload) {
        m_lastPayload = sample->lastPayload;
        QString text = JsonText::pretty(sample->lastPayload);
        if (sample->payloadTruncated())
            text = tr("[payload cut at %1 of %2 bytes for display; the database has all of it]\n")
                       .arg(sample->lastPayload.size())
                       .arg(sample->payloadSize)
                + text;
        m_payload->setPlainText(text);
        updateFields(sample->lastPayload);
    }
    appendPlotPoints(*sample);
}

void TopicDetails::updateFields(const QByteArray &payload)
{
    const QList<NumericField> fields = JsonText::numericFields(payload);
    QSignalBlocker block(m_fields);
    for (const NumericField &f : fields) {
        const QString label = f.path + QStringLiteral(" = ") + QString::number(f.value, 'g', 10);
        QList<QListWidgetItem *> found;
        for (int i = 0; i < m_fields->count(); ++i)
            if (m_fields->item(i)->data(Qt::UserRole).toString() == f.path)
                found.append(m_fields->item(i));
        QListWidgetItem *item = found.isEmpty() ? nullptr : found.first();
        if (!item) {
            item = new QListWidgetItem(m_fields);
            item->setData(Qt::UserRole, f.path);
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable);
            item->setCheckState(m_series.contains(f.path) ? Qt::Checked : Qt::Unchecked);
        }
        item->setText(label);
    }
}

void TopicDetails::onItemChanged(QListWidgetItem *item)
{
    setFieldPlotted(item->data(Qt::UserRole).toString(), item->checkState() == Qt::Checked);
}

void TopicDetails::setFieldPlotted(const QString &path, bool plotted)
{
    if (plotted == m_series.contains(path))
        return;
    if (plotted) {
        auto *series = new QLineSeries(m_chart);
        series->setName(path);
        m_chart->addSeries(series);
        series->attachAxis(m_x);
        series->attachAxis(m_y);
        m_series.insert(path, series);
        if (const auto v = JsonText::numberAt(m_lastPayload, path); v && !m_topic.isEmpty())
            series->append(double(QDateTime::currentMSecsSinceEpoch()), *v);
    } else {
        QLineSeries *series = m_series.take(path);
        m_chart->removeSeries(series);
        delete series;
    }
    for (int i = 0; i < m_fields->count(); ++i) {
        QListWidgetItem *item = m_fields->item(i);
        if (item->data(Qt::UserRole).toString() == path) {
            QSignalBlocker block(m_fields);
            item->setCheckState(plotted ? Qt::Checked : Qt::Unchecked);
        }
    }
    rescale();
}

void TopicDetails::appendPlotPoints(const TopicSample &sample)
{
    if (m_series.isEmpty())
        return;
    const double x = double(sample.lastSeenUs / 1000);
    for (auto it = m_series.begin(); it != m_series.end(); ++it) {
        const auto v = JsonText::numberAt(sample.lastPayload, it.key());
        if (!v)
            continue;
        QLineSeries *series = it.value();
        if (series->count() > 0 && series->at(series->count() - 1).x() >= x)
            continue;
        series->append(x, *v);
        if (series->count() > MaxPlotPoints)
            series->removePoints(0, series->count() - MaxPlotPoints);
    }
    rescale();
}

void TopicDetails::rescale()
{
    double x0 = std::numeric_limits<double>::max(), x1 = std::numeric_limits<double>::lowest();
    double y0 = x0, y1 = x1;
    for (const QLineSeries *s : std::as_const(m_series)) {
        for (const QPointF &p : s->points()) {
            x0 = std::min(x0, p.x());
            x1 = std::max(x1, p.x());
            y0 = std::min(y0, p.y());
            y1 = std::max(y1, p.y());
        }
    }
    if (x0 > x1)
        return;
    if (x1 - x0 < 10000)
        x0 = x1 - 10000;
    const double pad = std::max(1e-9, (y1 - y0) * 0.1);
    m_x->setRange(QDateTime::fromMSecsSinceEpoch(qint64(x0)), QDateTime::fromMSecsSinceEpoch(qint64(x1)));
    m_y->setRange(y0 - pad, y1 + pad);
}

QString TopicDetails::payloadText() const
{
    return m_payload->toPlainText();
}

QStringList TopicDetails::numericFields() const
{
    QStringList out;
    for (int i = 0; i < m_fields->count(); ++i)
        out << m_fields->item(i)->data(Qt::UserRole).toString();
    return out;
}

} // namespace iot
