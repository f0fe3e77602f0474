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
    // {profile, billed_as_egress, month, through, month_to_date_usd, days_with_data, days_in_month,
    //  projected_month_usd, projection_method, budget_usd}
    static QJsonObject costJson(const Summary &summary);
    static QString isoTime(qint64 epochSeconds);
    // geo {available, source}, countries[], networks[], clients{browser, bot, tool, unknown},
    // cdn {requests, bytes_sent, top_keys[]}
    static void insertAudience(QJsonObject &json, const Audience &audience);
};

} // namespace BucketScope
