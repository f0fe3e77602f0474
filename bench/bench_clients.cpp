// SPDX-License-Identifier: GPL-3.0-or-later
// Times ClientClassifier on real user agents: the corpus's and the generator's distinct agents, each
// classified many times, then the agent of every line of a generated log (as if nothing were cached):
//   bucketscope-bench-clients CORPUS_DIR [LINES]
#include "LogGenerator.h"
#include "clients/ClientClassifier.h"
#include "parser/S3LogParser.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

using namespace BucketScope;
using bucketscope::bench::LogGenerator;
using bucketscope::bench::LogGenOptions;

namespace {

// The classes seen, so the compiler cannot drop the calls and the output shows the mix.
void count(std::array<qint64, 4> &classes, ClientClass c)
{
    ++classes[std::size_t(c)];
}

void report(const char *what, qint64 calls, double seconds, const std::array<qint64, 4> &classes)
{
    std::printf("%s: %lld classifications in %.3f s = %.0f /s (%.2f us each); browser %lld, bot %lld, "
                "tool %lld, unknown %lld\n",
                what, qlonglong(calls), seconds, double(calls) / seconds, seconds * 1e6 / double(calls),
                qlonglong(classes[0]), qlonglong(classes[1]), qlonglong(classes[2]), qlonglong(classes[3]));
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR [LINES]\n", argv[0]);
        return 2;
    }
    std::vector<std::string> agents;
    const QDir corpus(args.at(1));
    const QStringList files = corpus.entryList({QStringLiteral("*.log")}, QDir::Files, QDir::Name);
    if (files.isEmpty()) {
        std::fprintf(stderr, "no *.log files in %s\n", qPrintable(args.at(1)));
        return 2;
    }
    for (const QString &name : files) {
        QFile file(corpus.filePath(name));
        if (!file.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "cannot read %s\n", qPrintable(file.fileName()));
            return 2;
        }
        for (const QByteArray &line : file.readAll().split('\n')) {
            S3Record record;
            if (S3LogParser::parse(std::string_view(line.constData(), std::size_t(line.size())), record))
                agents.emplace_back(record.userAgent);
        }
    }
    for (std::string_view ua : LogGenerator::userAgents())
        agents.emplace_back(ua);

    constexpr int kRounds = 20000;
    std::array<qint64, 4> classes{};
    QElapsedTimer clock;
    clock.start();
    for (int round = 0; round < kRounds; ++round) {
        for (const std::string &ua : agents)
            count(classes, ClientClassifier::classify(ua));
    }
    report("corpus + generator agents", qint64(kRounds) * qint64(agents.size()), clock.nsecsElapsed() / 1e9,
           classes);

    // Every line of a generated log, hostile probes included: the per-request cost without a cache.
    LogGenOptions options;
    options.lines = args.size() > 2 ? args.at(2).toULongLong() : 1000000;
    options.hostileShare = 0.001;
    LogGenerator generator(options);
    std::vector<std::string> lineAgents;
    lineAgents.reserve(options.lines);
    std::string line;
    while (generator.next(line)) {
        S3Record record;
        if (S3LogParser::parse(line, record))
            lineAgents.emplace_back(record.userAgent);
    }
    classes = {};
    clock.restart();
    for (const std::string &ua : lineAgents)
        count(classes, ClientClassifier::classify(ua));
    report("generated log lines", qint64(lineAgents.size()), clock.nsecsElapsed() / 1e9, classes);
    return 0;
}
