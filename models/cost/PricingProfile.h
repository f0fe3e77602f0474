// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace BucketScope {

// What a store charges for bytes sent (egress) and requests. Bytes sent are what is billed as egress.
// Egress tiers apply to the calendar month's (of the summary's time zone) cumulative bytes, in time order; a
// GiB is 2^30 bytes (AWS's "GB" in its pricing is the same binary unit). Request prices are per 1,000
// requests of each RequestClass. docs/alerts.md describes the JSON form and the sources of the built-in
// prices.
struct PricingProfile
{
    enum class Kind
    {
        Ovh,
        AwsS3Standard,
        Custom
    };
    struct EgressTier
    {
        std::optional<double> upToGiB; // of the month's cumulative egress; none: no upper bound (last tier)
        double usdPerGiB = 0;
        bool operator==(const EgressTier &) const = default;
    };

    Kind kind = Kind::Ovh;
    QString name;
    QList<EgressTier> egressTiers;
    double getClassUsdPer1000 = 0;
    double putClassUsdPer1000 = 0;
    std::optional<double> monthlyBudgetUsd;

    bool operator==(const PricingProfile &) const = default;

    // OVHcloud Object Storage: one egress price (the seed's $0.011 per GiB), no request charges.
    static PricingProfile ovh(double usdPerGiB = 0.011);
    // AWS S3 Standard, us-east-1, data transfer out to the internet; prices in PricingProfile.cpp.
    static PricingProfile awsS3Standard();

    static QString kindName(Kind kind); // "ovh", "aws-s3-standard", "custom"
    static std::optional<Kind> kindFromName(const QString &name);

    // {"kind": "ovh" | "aws-s3-standard" | "custom", "name": "...",
    //  "egress_tiers": [{"up_to_gib": 100, "usd_per_gib": 0}, ..., {"usd_per_gib": 0.05}],
    //  "get_class_usd_per_1000": 0.0004, "put_class_usd_per_1000": 0.005, "monthly_budget_usd": 50}
    // ovh and aws-s3-standard start from their built-in prices and the file overrides what it names;
    // custom needs egress_tiers. Unknown fields are refused, so a misspelt price is never ignored.
    static bool fromJson(const QByteArray &json, PricingProfile &profile, QString *error);
    QByteArray toJson() const;
    static bool load(const QString &path, PricingProfile &profile, QString *error);
    bool save(const QString &path, QString *error) const;

    // Cost of `bytes` sent after `monthBytesBefore` were already sent in the same month.
    double egressCost(qint64 monthBytesBefore, qint64 bytes) const;
    double requestCost(qint64 getClassRequests, qint64 putClassRequests) const;
    // The price of the first tier that charges anything (the only price for OVHcloud).
    double firstPaidUsdPerGiB() const;
};

} // namespace BucketScope
