// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>

namespace BucketScope {

enum class SqlDialect
{
    Sqlite,
    MySql
};

// The store's tables, written once and rendered for each SQL dialect so nothing in the schema can
// become SQLite-only. docs/schema.md describes the same tables for people.
class Schema
{
public:
    static constexpr int kCurrentVersion = 1;

    // Statements that take a store from `fromVersion` (0 = empty) to kCurrentVersion, in order.
    static QStringList migrationStatements(SqlDialect dialect, int fromVersion);

    // Columns of the requests table that hold one log field each, in S3 field order. The ingest
    // INSERT and the export both use this list.
    static const QStringList &recordColumns();
};

} // namespace BucketScope
