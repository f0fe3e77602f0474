// SPDX-License-Identifier: GPL-3.0-or-later
#include "DocBlocks.h"

#include <QRegularExpression>

#include <algorithm>

namespace BucketScope::DocTest {

namespace {

const QStringList kCommandLanguages = {QStringLiteral("sh"), QStringLiteral("bash"), QStringLiteral("shell"),
                                       QStringLiteral("crontab")};

// The first word of a line that, in a block with no language, means the block is really commands
// and must say so (```sh) or say it is not (```text).
bool looksLikeCommand(const QString &line)
{
    static const QRegularExpression command(QStringLiteral(
        R"(^\s*(\$ |bucketscope\b|export\b|sudo\b|apt(-get)?\b|cmake\b|ctest\b|cpack\b|eval\b|)"
        R"(tools/|bench/|build/|\./))"));
    return command.match(line).hasMatch();
}

// Reads "exit N" or "not run: WHY; covered by: WHAT" into `block`; false with `problem` otherwise.
bool applyAnnotation(const QString &annotation, CommandBlock &block, QString *problem)
{
    static const QRegularExpression exitCode(QStringLiteral(R"(^exit\s+(\d+)$)"));
    static const QRegularExpression notRun(
        QStringLiteral(R"(^not run:\s*(.*?)\s*;\s*covered by:\s*(.*?)(?:\s*;\s*instead:\s*(.*))?$)"));
    if (const auto match = exitCode.match(annotation); match.hasMatch()) {
        block.expectedExit = match.captured(1).toInt();
        return true;
    }
    if (const auto match = notRun.match(annotation); match.hasMatch()) {
        block.run = false;
        block.notRunReason = match.captured(1).trimmed();
        block.coveredBy = match.captured(2).trimmed();
        block.instead = match.captured(3).trimmed();
        if (!block.notRunReason.isEmpty() && !block.coveredBy.isEmpty())
            return true;
    }
    *problem = QStringLiteral("%1: cannot read the annotation '%2'; write 'exit N' or "
                              "'not run: WHY; covered by: WHAT[; instead: COMMAND]'")
                   .arg(block.name(), annotation);
    return false;
}

} // namespace

ParsedDocument parseMarkdown(const QString &file, const QString &markdown)
{
    static const QRegularExpression annotationLine(
        QStringLiteral(R"(^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$)"));
    ParsedDocument document;
    const QStringList lines = markdown.split(QLatin1Char('\n'));
    QString pendingAnnotation;
    int pendingAnnotationLine = 0;
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = lines.at(i);
        const QString trimmed = line.trimmed();
        if (const auto match = annotationLine.match(line); match.hasMatch()) {
            pendingAnnotation = match.captured(1);
            pendingAnnotationLine = i + 1;
            continue;
        }
        if (!trimmed.startsWith(QLatin1String("```"))) {
            if (!trimmed.isEmpty() && !pendingAnnotation.isEmpty()) {
                document.problems << QStringLiteral("%1:%2: a doc-test annotation must be the line right "
                                                    "before a command block's fence")
                                         .arg(file)
                                         .arg(pendingAnnotationLine);
                pendingAnnotation.clear();
            }
            continue;
        }
        // An opening fence: collect up to the closing one.
        qsizetype ticks = 0;
        while (ticks < trimmed.size() && trimmed.at(ticks) == QLatin1Char('`'))
            ++ticks;
        const QString fence(ticks, QLatin1Char('`'));
        CommandBlock block;
        block.file = file;
        block.line = i + 1;
        block.language = trimmed.mid(fence.size()).section(QLatin1Char(' '), 0, 0).trimmed().toLower();
        QStringList body;
        int j = i + 1;
        while (j < lines.size() && !lines.at(j).trimmed().startsWith(fence))
            body << lines.at(j++);
        if (j == lines.size())
            document.problems << QStringLiteral("%1: the block is never closed").arg(block.name());
        i = j;
        block.text = body.join(QLatin1Char('\n'));
        const QString annotation = pendingAnnotation;
        pendingAnnotation.clear();
        if (!kCommandLanguages.contains(block.language)) {
            if (!annotation.isEmpty())
                document.problems << QStringLiteral("%1: a doc-test annotation on a ```%2 block, which is "
                                                    "not run")
                                         .arg(block.name(), block.language);
            if (block.language.isEmpty() && std::any_of(body.cbegin(), body.cend(), looksLikeCommand))
                document.problems << QStringLiteral("%1: this block has no language but looks like commands: "
                                                    "label it ```sh (the test runs it) or ```text")
                                         .arg(block.name());
            continue;
        }
        QString problem;
        if (!annotation.isEmpty() && !applyAnnotation(annotation, block, &problem)) {
            document.problems << problem;
            continue;
        }
        document.blocks << block;
    }
    if (!pendingAnnotation.isEmpty())
        document.problems << QStringLiteral("%1:%2: a doc-test annotation with no block after it")
                                 .arg(file)
                                 .arg(pendingAnnotationLine);
    return document;
}

QStringList crontabCommands(const QString &text, QStringList *problems)
{
    static const QRegularExpression schedule(
        QStringLiteral(R"(^\s*(@\w+|\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+(.*)$)"));
    static const QRegularExpression unescapedPercent(QStringLiteral(R"((^|[^\\])%)"));
    QStringList commands;
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        const QString trimmed = line.trimmed();
        if (trimmed.isEmpty() || trimmed.startsWith(QLatin1Char('#')))
            continue;
        const auto match = schedule.match(line);
        if (!match.hasMatch()) {
            *problems << QStringLiteral("not a crontab entry: %1").arg(line);
            continue;
        }
        const QString command = match.captured(2);
        if (command.contains(unescapedPercent)) {
            *problems << QStringLiteral("an unescaped %, which cron turns into a new line: %1").arg(line);
            continue;
        }
        commands << QString(command).replace(QStringLiteral("\\%"), QStringLiteral("%"));
    }
    return commands;
}

} // namespace BucketScope::DocTest
