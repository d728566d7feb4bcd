// SPDX-License-Identifier: MIT
#pragma once

#include <QChartView>

#include <functional>

class QGraphicsLineItem;
class QGraphicsRectItem;
class QGraphicsSimpleTextItem;

namespace iot {

/// The History tab's chart view: drag with the left button to zoom into a time range (a rubber band), right click
/// to zoom out, drag with the middle button or press ←/→ to pan, and a crosshair that follows the mouse with the
/// time and each series' values under it. GUI thread.
class HistoryChartView final : public QChartView
{
    Q_OBJECT
public:
    /// Text for the crosshair at time `ms` (ms since the epoch); empty: no label.
    using Describe = std::function<QString(qint64 ms)>;

    explicit HistoryChartView(QChart *chart, QWidget *parent = nullptr);
    void setDescribe(Describe describe) { m_describe = std::move(describe); }
    /// Where the crosshair is (for tests): empty when hidden.
    QString crosshairText() const;
    /// Puts the crosshair at a point of the view, as a mouse move would.
    void moveCrosshair(const QPointF &viewPos);

protected:
    void mouseMoveEvent(QMouseEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    Describe m_describe;
    QGraphicsLineItem *m_line = nullptr;
    QGraphicsRectItem *m_box = nullptr;        // behind the label, so the curves do not run through its text
    QGraphicsSimpleTextItem *m_label = nullptr;
    QPointF m_panFrom;
    bool m_panning = false;
};

} // namespace iot
