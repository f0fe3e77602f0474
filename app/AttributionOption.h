// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QCommandLineOption>

class QCommandLineParser;

namespace BucketScope {

class Attribution;

// --attribution FILE, taken by every command that shows or writes applications (summary, report, check,
// combined, ingest --dmapi), so they all read the rules file the desktop app saves the same way.
class AttributionOption
{
public:
    // `purpose` ends the help text, e.g. "for --dmapi's application_id".
    explicit AttributionOption(const QString &purpose = QString());

    const QCommandLineOption &option() const { return m_option; }

    // Replaces `attribution` with the file's rules when the option is given; false after printing
    // "error: FILE: rule 3: unknown type 'x'; use ..." (or why the file cannot be read) on stderr.
    bool read(const QCommandLineParser &parser, Attribution &attribution) const;

private:
    QCommandLineOption m_option;
};

} // namespace BucketScope
