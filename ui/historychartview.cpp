// SPDX-License-Identifier: MIT
#include "historychartview.h"

#include <QGraphicsLineItem>
#include <QGraphicsRectItem>
#include <QGraphicsSimpleTextItem>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPen>

namespace iot {

HistoryChartView::HistoryChartView(QChart *chart, QWidget *parent) : QChartView(chart, parent)
{
    setRubberBand(QChartView::HorizontalRubberBand);
    setRenderHint(QPainter::Antialiasing);
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    m_line = new QGraphicsLineItem(chart);
    m_line->setPen(QPen(QColor(90, 90, 90, 160), 1, Qt::DashLine));
    m_line->setZValue(20);
    m_line->hide();
    m_box = new QGraphicsRectItem(chart);
    m_box->setZValue(21);
    QColor base = palette().color(QPalette::Base);
    base.setAlpha(225);
    m_box->setBrush(base);
    m_box->setPen(QPen(palette().color(QPalette::Mid)));
    m_box->hide();
    m_label = new QGraphicsSimpleTextItem(m_box);
    m_label->setBrush(palette().color(QPalette::Text));
}

QString HistoryChartView::crosshairText() const
{
    return m_box->isVisible() ? m_label->text() : QString();
}

void HistoryChartView::moveCrosshair(const QPointF &viewPos)
{
    const QPointF scenePos = mapToScene(viewPos.toPoint());
    const QPointF chartPos = chart()->mapFromScene(scenePos);
    const QRectF area = chart()->plotArea();
    if (!area.contains(chartPos) || chart()->series().isEmpty() || !m_describe) {
        m_line->hide();
        m_box->hide();
        return;
    }
    const QPointF value = chart()->mapToValue(chartPos, chart()->series().constFirst());
    const QString text = m_describe(qint64(value.x()));
    if (text.isEmpty()) {
        m_line->hide();
        m_box->hide();
        return;
    }
    m_line->setLine(chartPos.x(), area.top(), chartPos.x(), area.bottom());
    m_line->show();
    m_label->setText(text);
    m_label->setPos(4, 2);
    // Right of the line, or left of it near the right edge.
    const QRectF box = m_label->boundingRect().adjusted(0, 0, 8, 4);
    const qreal x = chartPos.x() + 8 + box.width() > area.right() ? chartPos.x() - 8 - box.width() : chartPos.x() + 8;
    m_box->setRect(0, 0, box.width(), box.height());
    m_box->setPos(x, area.top() + 4);
    m_box->show();
}

void HistoryChartView::mouseMoveEvent(QMouseEvent *event)
{
    if (m_panning) {
        const QPointF delta = event->position() - m_panFrom;
        m_panFrom = event->position();
        chart()->scroll(-delta.x(), 0);
        event->accept();
        return;
    }
    moveCrosshair(event->position());
    QChartView::mouseMoveEvent(event);
}

void HistoryChartView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::MiddleButton) {
        m_panning = true;
        m_panFrom = event->position();
        event->accept();
        return;
    }
    QChartView::mousePressEvent(event);
}

void HistoryChartView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::MiddleButton) {
        m_panning = false;
        event->accept();
        return;
    }
    QChartView::mouseReleaseEvent(event);
}

void HistoryChartView::leaveEvent(QEvent *event)
{
    m_line->hide();
    m_box->hide();
    QChartView::leaveEvent(event);
}

void HistoryChartView::keyPressEvent(QKeyEvent *event)
{
    const qreal step = chart()->plotArea().width() / 10;
    switch (event->key()) {
    case Qt::Key_Left:
        chart()->scroll(-step, 0);
        break;
    case Qt::Key_Right:
        chart()->scroll(step, 0);
        break;
    case Qt::Key_Minus:
        chart()->zoomOut();
        break;
    default:
        QChartView::keyPressEvent(event);
        return;
    }
    event->accept();
}

} // namespace iot
