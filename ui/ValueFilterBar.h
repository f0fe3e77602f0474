// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/ValueFilters.h"

#include <QWidget>

class QComboBox;
class QSpinBox;
class QTimer;

namespace BucketScope {

// The filter bar's number filters: status class, "latency ≥ N ms" and "size ≥ N KiB". Changes are
// debounced (typing 1500 into a spin box is one filter, not four) and reported by changed().
class ValueFilterBar : public QWidget
{
    Q_OBJECT
public:
    explicit ValueFilterBar(QWidget *parent = nullptr);

    ValueFilters values() const;
    // Shows `values` without emitting changed() (history, chips, a new store).
    void setValues(const ValueFilters &values);

    QComboBox *statusBox() const { return m_status; }
    QSpinBox *latencyBox() const { return m_latency; }
    QSpinBox *sizeBox() const { return m_size; }

signals:
    void changed(const BucketScope::ValueFilters &values);

private:
    QComboBox *m_status = nullptr;
    QSpinBox *m_latency = nullptr;
    QSpinBox *m_size = nullptr;
    QTimer *m_debounce = nullptr;
    bool m_quiet = false;
};

} // namespace BucketScope
