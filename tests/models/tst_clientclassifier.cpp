// SPDX-License-Identifier: GPL-3.0-or-later
// Every user agent of the real-log corpus and of the synthetic generator has a decided class in
// kExpected: a new corpus line or generator agent without a row fails the test until someone decides.
#include "LogGenerator.h"
#include "clients/ClientClassifier.h"
#include "parser/S3LogParser.h"

#include <QDir>
#include <QFile>
#include <QSet>
#include <QTest>

using namespace BucketScope;
using bucketscope::bench::LogGenerator;
using bucketscope::bench::LogGenOptions;

namespace {

struct Expected
{
    const char *userAgent;
    const char *expectedClass; // ClientClassifier::nameOf
    const char *why;           // the row's name in the test output
};

// The decided class of every user agent the tests know, real ones first.
const Expected kExpected[] = {
    // --- ../shared/corpus ---
    {"-", "unknown", "corpus: none logged"},
    {"S3Console/0.4", "tool", "corpus: the S3 console (bucket management, not a visitor)"},
    {"aws-cli/1.24.10 Python/3.6.9 Linux/5.4.0-135-generic botocore/1.26.10", "tool", "corpus: aws-cli 1"},
    {"AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.11.590 "
     "Linux/4.9.137-0.1.ac.218.74.329.metal1.x86_64",
     "tool", "corpus: Trusted Advisor (truncated)"},
    {"AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.11.590 "
     "Linux/4.9.137-0.1.ac.218.74.329.metal1.x86_64 OpenJDK_64-Bit_Server_VM/25.212-b03 java/1.8.0_212 "
     "vendor/Oracle_Corporation",
     "tool", "corpus: Trusted Advisor"},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/535.11 (KHTML, like Gecko) Chrome/17.0.963.56 "
     "Safari/535.11",
     "browser", "corpus: Chrome 17 on Linux"},
    {"Mozilla/5.0", "unknown", "corpus: Mozilla/5.0 without an engine"},
    {"HttpClient", "tool", "corpus: a bare HttpClient"},
    {"agent", "unknown", "corpus: placeholder word"},
    {"linux64 sra-toolkit test-sra.2.8.2 (phid=noc7737000,libc=2.17)", "tool", "corpus: NCBI sra-toolkit"},
    {"linux64 sra-toolkit \\\"test-sra.2.8.2 (phid=noc7737000,libc=2.17)", "tool",
     "corpus: NCBI sra-toolkit, escaped quote"},

    // --- bench/LogGenerator.cpp ---
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 "
     "Safari/537.36",
     "browser", "generator: Chrome 129 Windows"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
     "Safari/537.36",
     "browser", "generator: Chrome 130 Windows"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.0.0 Safari/537.36",
     "browser", "generator: Chrome macOS"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.0.1 Safari/605.1.15",
     "browser", "generator: Safari macOS"},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.0.1 Mobile/15E148 Safari/604.1",
     "browser", "generator: Safari iOS 18"},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.6 Mobile/15E148 Safari/604.1",
     "browser", "generator: Safari iOS 17"},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile "
     "Safari/537.36",
     "browser", "generator: Chrome Android"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0", "browser",
     "generator: Firefox Windows"},
    {"Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0", "browser",
     "generator: Firefox Linux"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
     "Safari/537.36 Edg/130.0.0.0",
     "browser", "generator: Edge"},
    {"Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "CriOS/130.0.6723.37 Mobile/15E148 Safari/604.1",
     "browser", "generator: Chrome iPad"},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
     "Safari/537.36",
     "browser", "generator: Chrome Linux"},
    {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot",
     "generator: Googlebot desktop"},
    {"Googlebot-Image/1.0", "bot", "generator: Googlebot-Image"},
    {"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bot", "generator: bingbot"},
    {"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "bot",
     "generator: facebookexternalhit"},
    {"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "bot", "generator: AhrefsBot"},
    {"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "bot", "generator: Slackbot"},
    {"curl/8.4.0", "tool", "generator: curl 8"},
    {"curl/7.88.1", "tool", "generator: curl 7"},
    {"python-requests/2.31.0", "tool", "generator: python-requests 2.31"},
    {"python-requests/2.32.3", "tool", "generator: python-requests 2.32"},
    {"aws-cli/2.17.20 Python/3.11.9 Linux/6.1.0-23-cloud-amd64 exe/x86_64.debian.12 prompt/off command/s3.cp",
     "tool", "generator: aws-cli 2 cp"},
    {"aws-cli/2.17.20 Python/3.11.9 Linux/6.1.0-23-cloud-amd64 exe/x86_64.debian.12 prompt/off "
     "command/s3.sync",
     "tool", "generator: aws-cli 2 sync"},
    {"Wget/1.21.3", "tool", "generator: Wget"},
    {"Go-http-client/1.1", "tool", "generator: Go"},
    {"okhttp/4.12.0", "tool", "generator: okhttp"},
    // A native app's own HTTP stack: not a browser, not a tool or a crawler.
    {"Castingly/3.4.1 (iPhone; iOS 18.0.1; Scale/3.00)", "unknown", "generator: Castingly iOS app"},
    {"aws-sdk-js/3.637.0 ua/2.0 os/linux#6.1.0-25-cloud-amd64 lang/js md/nodejs#20.17.0 api/s3#3.637.0",
     "tool", "generator: aws-sdk-js v3"},
    {"Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#6.1.0-25-cloud-amd64 md/arch#x86_64 "
     "lang/python#3.11.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.10",
     "tool", "generator: Boto3"},
    {"rclone/v1.68.1", "tool", "generator: rclone"},
    {"Mozilla/5.0 \"Hello, World\" (compatible; zgrab/0.x)", "bot", "generator: zgrab scanner"},
    {"() { :; }; echo; /bin/bash -c \"cat /etc/passwd\"", "bot", "generator: Shellshock probe"},
    {"python-requests/2.25.1", "tool", "generator: python-requests 2.25"},
    {"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", "bot",
     "generator: Nmap NSE"},

    // --- hand-picked real user agents ---
    {"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
     "bot", "Googlebot smartphone (full Chrome string)"},
    {"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
     "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
     "bot", "bingbot evergreen"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
     "bot", "Applebot"},
    {"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "bot", "YandexBot"},
    {"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "bot",
     "Baiduspider"},
    {"DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", "bot", "DuckDuckBot"},
    {"Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", "bot", "SemrushBot"},
    {"Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)", "bot", "MJ12bot"},
    {"Twitterbot/1.0", "bot", "Twitterbot"},
    {"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
     "bot", "GPTBot"},
    {"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; "
     "+claudebot@anthropic.com)",
     "bot", "ClaudeBot"},
    {"CCBot/2.0 (https://commoncrawl.org/faq/)", "bot", "CCBot"},
    {"Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 "
     "(compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
     "bot", "PetalBot"},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 "
     "Safari/537.36",
     "bot", "HeadlessChrome"},
    {"masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "bot", "masscan"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
     "Safari/537.36 Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
     "bot", "Nuclei"},
    {"sqlmap/1.7.2#stable (https://sqlmap.org)", "bot", "sqlmap"},
    {"Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:Port Check)", "bot", "Nikto"},
    {"Mozilla/5.0 (compatible; ExampleBot/1.0)", "bot", "generic bot token"},
    {"Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)", "bot",
     "Yahoo Slurp"},
    {"Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)", "bot", "generic spider"},
    {"curl/8.5.0", "tool", "curl 8.x"},
    {"aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.7 "
     "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.ls",
     "tool", "aws-cli 2.x"},
    {"Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.15.0 md/arch#x86_64 lang/python#3.10.12 "
     "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0 Resource",
     "tool", "Boto3 resource"},
    {"aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.47.7", "tool",
     "aws-sdk-go-v2"},
    {"aws-sdk-java/2.21.0 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.9+8 Java/17.0.9 vendor/Amazon.com_Inc. "
     "io/sync http/Apache cfg/retry-mode/legacy",
     "tool", "aws-sdk-java v2"},
    {"rclone/v1.65.0", "tool", "rclone"},
    {"s3cmd/2.3.0+dev", "tool", "s3cmd"},
    {"MinIO (linux; amd64) minio-go/v7.0.66 mc/RELEASE.2024-01-05T05-04-32Z", "tool", "MinIO client"},
    {"Cyberduck/8.7.2.40976 (Mac OS X/14.2.1) (x86_64)", "tool", "Cyberduck"},
    {"WinSCP/6.1.2 neon/0.32.5", "tool", "WinSCP"},
    {"Transmit/5.10.4", "tool", "Transmit"},
    {"libwww-perl/6.72", "tool", "libwww-perl"},
    {"PostmanRuntime/7.36.0", "tool", "Postman"},
    {"axios/1.6.2", "tool", "axios"},
    {"node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "tool",
     "node-fetch (contact URL, still a tool)"},
    {"Java/17.0.9", "tool", "Java HttpURLConnection"},
    {"Apache-HttpClient/4.5.14 (Java/17.0.9)", "tool", "Apache HttpClient"},
    {"Python-urllib/3.11", "tool", "Python urllib"},
    {"Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) PowerShell/7.4.0", "tool",
     "PowerShell"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36",
     "browser", "Chrome desktop"},
    {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 "
     "Mobile Safari/537.36",
     "browser", "Chrome mobile"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0", "browser",
     "Firefox desktop"},
    {"Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", "browser", "Firefox mobile"},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.7 Mobile/15E148 Safari/604.1",
     "browser", "Safari mobile"},
    {"Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko", "browser",
     "Internet Explorer 11"},
    {"Opera/9.80 (Windows NT 6.1; U; en) Presto/2.12.388 Version/12.18", "browser", "Opera Presto"},
    // A phone model that contains "bot" must not make the browser a bot.
    {"Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
     "Mobile Safari/537.36",
     "browser", "Cubot phone"},
    {"", "unknown", "empty"},
    {"   ", "unknown", "blanks"},
    {"\x01\x02\xff\xfe garbage", "unknown", "binary garbage"},
    {"lorem ipsum", "unknown", "words"},
    {"Mozilla/4.0", "unknown", "Mozilla/4.0 without an engine"},
};

const Expected *expectedFor(std::string_view userAgent)
{
    for (const Expected &row : kExpected) {
        if (userAgent == row.userAgent)
            return &row;
    }
    return nullptr;
}

// Adds one row per distinct agent: its text and its expected class ("" when the table has none).
void addRows(const QList<QByteArray> &agents, const char *prefix)
{
    QTest::addColumn<QByteArray>("userAgent");
    QTest::addColumn<QString>("expected");
    QSet<QByteArray> seen;
    for (const QByteArray &agent : agents) {
        if (seen.contains(agent))
            continue;
        seen.insert(agent);
        const Expected *row = expectedFor(std::string_view(agent.constData(), std::size_t(agent.size())));
        QTest::addRow("%s %lld: %s", prefix, qlonglong(seen.size()), agent.left(60).constData())
            << agent << (row ? QString::fromLatin1(row->expectedClass) : QString());
    }
}

void checkRow()
{
    QFETCH(QByteArray, userAgent);
    QFETCH(QString, expected);
    QVERIFY2(!expected.isEmpty(),
             qPrintable(QStringLiteral("no expected class for the user agent '%1': add a row to kExpected")
                            .arg(QString::fromUtf8(userAgent))));
    const ClientClass actual =
        ClientClassifier::classify(std::string_view(userAgent.constData(), std::size_t(userAgent.size())));
    QCOMPARE(ClientClassifier::nameOf(actual), expected);
}

} // namespace

class TstClientClassifier : public QObject
{
    Q_OBJECT

private slots:
    void table_data();
    void table();
    void corpusAgents_data();
    void corpusAgents();
    void generatorAgents_data();
    void generatorAgents();
    void generatedLinesUseListedAgents();
    void ignoresCase();
    void names_data();
    void names();
};

void TstClientClassifier::table_data()
{
    QTest::addColumn<QByteArray>("userAgent");
    QTest::addColumn<QString>("expected");
    QSet<QByteArray> seen;
    for (const Expected &row : kExpected) {
        QVERIFY2(!seen.contains(row.userAgent), row.why); // a duplicate row would hide a contradiction
        seen.insert(row.userAgent);
        QTest::newRow(row.why) << QByteArray(row.userAgent) << QString::fromLatin1(row.expectedClass);
    }
}

void TstClientClassifier::table()
{
    checkRow();
}

void TstClientClassifier::corpusAgents_data()
{
    const QDir corpus(QString::fromUtf8(BUCKETSCOPE_CORPUS_DIR));
    const QStringList files = corpus.entryList({QStringLiteral("*.log")}, QDir::Files, QDir::Name);
    QVERIFY2(!files.isEmpty(), BUCKETSCOPE_CORPUS_DIR);
    QList<QByteArray> agents;
    for (const QString &name : files) {
        QFile file(corpus.filePath(name));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(name));
        for (const QByteArray &line : file.readAll().split('\n')) {
            S3Record record;
            if (S3LogParser::parse(std::string_view(line.constData(), std::size_t(line.size())), record))
                agents << QByteArray(record.userAgent.data(), qsizetype(record.userAgent.size()));
        }
    }
    QVERIFY(agents.size() > 20); // the parser found records, not only a few
    addRows(agents, "corpus");
}

void TstClientClassifier::corpusAgents()
{
    checkRow();
}

void TstClientClassifier::generatorAgents_data()
{
    QList<QByteArray> agents;
    for (std::string_view ua : LogGenerator::userAgents())
        agents << QByteArray(ua.data(), qsizetype(ua.size()));
    addRows(agents, "generator");
}

void TstClientClassifier::generatorAgents()
{
    checkRow();
}

void TstClientClassifier::generatedLinesUseListedAgents()
{
    // userAgents() must stay complete: every agent in a generated log, hostile lines included, is in it.
    LogGenOptions options;
    options.lines = 20000;
    options.hostileShare = 0.02;
    LogGenerator generator(options);
    QSet<QByteArray> listed;
    for (std::string_view ua : LogGenerator::userAgents())
        listed.insert(QByteArray(ua.data(), qsizetype(ua.size())));
    QSet<QByteArray> found;
    std::string line;
    while (generator.next(line)) {
        S3Record record;
        if (!S3LogParser::parse(line, record))
            continue; // the hostile lines the parser refuses carry no agent to classify
        // The parser reports a bare unquoted "-" as an empty field.
        const QByteArray ua = record.userAgent.empty()
                                  ? QByteArray("-")
                                  : QByteArray(record.userAgent.data(), qsizetype(record.userAgent.size()));
        QVERIFY2(listed.contains(ua),
                 qPrintable(QStringLiteral("'%1' in the line %2")
                                .arg(QString::fromUtf8(ua), QString::fromStdString(line))));
        found.insert(ua);
    }
    QVERIFY2(found.size() > 20, qPrintable(QString::number(found.size())));
}

void TstClientClassifier::ignoresCase()
{
    QCOMPARE(ClientClassifier::classify("CURL/8.4.0"), ClientClass::Tool);
    QCOMPARE(ClientClassifier::classify("mozilla/5.0 (compatible; GOOGLEBOT/2.1)"), ClientClass::Bot);
    QCOMPARE(ClientClassifier::classify("MOZILLA/5.0 (X11) GECKO/20100101 FIREFOX/131.0"),
             ClientClass::Browser);
}

void TstClientClassifier::names_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("valid");
    QTest::newRow("browser") << QStringLiteral("browser") << true;
    QTest::newRow("bot") << QStringLiteral("bot") << true;
    QTest::newRow("tool") << QStringLiteral("tool") << true;
    QTest::newRow("unknown") << QStringLiteral("unknown") << true;
    QTest::newRow("capitalised") << QStringLiteral("Bot") << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("other") << QStringLiteral("crawler") << false;
}

void TstClientClassifier::names()
{
    QFETCH(QString, name);
    QFETCH(bool, valid);
    const std::optional<ClientClass> c = ClientClassifier::fromName(name);
    QCOMPARE(c.has_value(), valid);
    if (valid)
        QCOMPARE(ClientClassifier::nameOf(*c), name);
}

QTEST_GUILESS_MAIN(TstClientClassifier)
#include "tst_clientclassifier.moc"
