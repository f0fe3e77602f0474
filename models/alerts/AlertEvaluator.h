// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Alert.h"
#include "AlertRules.h"
#include "aggregation/Summary.h"
#include "cost/PricingProfile.h"

#include <QList>
#include <QStringList>
#include <QTimeZone>

#include <functional>
#include <optional>
#include <utility>

namespace BucketScope {

class Attribution;
class RecordStore;

class AbuseQueries;

// Checks the rules against one day. The daily figures come from Summaries (one for the whole store,
// one per application a rule is scoped to), so any aggregator can feed it; the per-IP rules read the
// store through AbuseQueries. Costs are (re)computed here with the pricing profile.
class AlertEvaluator
{
public:
    // A Summary over `range` (from inclusive, to exclusive), of one application's requests when
    // `application` is not empty: made with the application filter (SummaryQuery::filters), whose
    // resolved condition per-IP rules scoped to that application use. None with `error` set when it
    // cannot be computed.
    using SummaryProvider = std::function<std::optional<Summary>(std::pair<qint64, qint64> range,
                                                                 const QString &application, QString *error)>;

    struct Result
    {
        qint64 day = 0;
        QList<Alert> alerts;
        QStringList notes; // rules that could not judge this day, and why
    };

    // Summaries of `store` for the evaluator, attributed with `attribution` (no top lists), with the
    // days of `zone`.
    static SummaryProvider summariesOf(RecordStore &store, const Attribution &attribution,
                                       const QTimeZone &zone = QTimeZone::utc());
    // 00:00 in `zone` of the day holding `time` (epoch seconds).
    static qint64 dayOf(qint64 time, const QTimeZone &zone = QTimeZone::utc());

    // At most this many alerts per per-IP rule and day, the worst first.
    static constexpr int kMaxIpAlertsPerRule = 10;

    // The days the Summaries must cover to judge `day`: from the earlier of its month's first day and
    // the longest trailing window, through the end of `day`. Days and months are those of `zone` (a day
    // can be 23 or 25 hours long).
    static std::pair<qint64, qint64> rangeFor(const AlertRules &rules, qint64 day,
                                              const QTimeZone &zone = QTimeZone::utc());

    // `abuse` may be null when no per-IP rule is among the rules. Fails when the store holds no
    // request on `day` (its 00:00 in `zone`; the summaries must be of the same zone).
    static std::optional<Result> evaluate(const AlertRules &rules, const PricingProfile &pricing, qint64 day,
                                          const SummaryProvider &summaries, const AbuseQueries *abuse,
                                          QString *error, const QTimeZone &zone = QTimeZone::utc());
};

} // namespace BucketScope
