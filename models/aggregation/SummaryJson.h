// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Summary.h"

#include <QJsonObject>

namespace BucketScope {

// The summary as the command line prints it; docs/cli.md lists every field.
class SummaryJson
{
public:
    static QJsonObject toJson(const Summary &summary);
    static QString isoTime(qint64 epochSeconds);
};

} // namespace BucketScope
