// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QLabel>

namespace BucketScope {

// A wrapping label that shows its text as typed: log content and messages that quote it (file names,
// server errors, user agents) must never be read as rich text.
inline QLabel *plainLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    return label;
}

} // namespace BucketScope
