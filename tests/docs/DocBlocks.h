// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace BucketScope::DocTest {

// A fenced code block of a Markdown file that holds commands (```sh, ```bash, ```shell or ```crontab),
// with what the HTML comment on the line before its fence says about it:
//   <!-- doc-test: exit N -->                                the commands end with status N (default 0)
//   <!-- doc-test: not run: WHY; covered by: WHAT -->       the test does not run it; both parts required
//   <!-- doc-test: not run: WHY; covered by: WHAT; instead: COMMAND -->   and runs COMMAND in its place
struct CommandBlock
{
    QString file; // as given to parse(), for messages
    int line = 0; // of the opening fence, counting from 1
    QString language;
    QString text; // the lines between the fences
    int expectedExit = 0;
    bool run = true;
    QString notRunReason;
    QString coveredBy;
    QString instead; // a command the test runs in place of a block it cannot run (may be empty)

    bool isCrontab() const { return language == QLatin1String("crontab"); }
    QString name() const { return QStringLiteral("%1:%2").arg(file).arg(line); }
};

struct ParsedDocument
{
    QList<CommandBlock> blocks;
    // Annotations that cannot be read, and unlabelled blocks that look like commands: the test fails
    // on each, so nothing is left unrun by accident.
    QStringList problems;
};

ParsedDocument parseMarkdown(const QString &file, const QString &markdown);

// What cron runs for each entry of a ```crontab block: the command after the five schedule fields (or
// @daily and the like), with crontab's \% turned into %. An unescaped % (cron would cut the command
// there and feed the rest to standard input) is a problem.
QStringList crontabCommands(const QString &text, QStringList *problems);

} // namespace BucketScope::DocTest
