// SPDX-License-Identifier: GPL-3.0-or-later
#include "ParsePipeline.h"

#include "input/LineReader.h"

#include <QFileInfo>

#include <algorithm>
#include <cstring>

namespace BucketScope {

namespace {

bool isBlank(std::string_view line)
{
    for (char c : line) {
        if (c != ' ' && c != '\r' && c != '\t')
            return false;
    }
    return true;
}

std::unique_ptr<ParsedBlock> block(ParsedBlock::Kind kind, int fileIndex, QString error = {})
{
    auto result = std::make_unique<ParsedBlock>();
    result->kind = kind;
    result->fileIndex = fileIndex;
    result->error = std::move(error);
    return result;
}

// Room for a block's text: a whole block, or a small plain file whole. A folder of small log objects
// would otherwise allocate (and the kernel map and unmap) a full block per object. Compressed and
// unknown sizes start small and grow.
std::size_t textCapacity(const InputFile &input, bool compressed)
{
    constexpr std::size_t kFull = ParsePipeline::kBlockBytes + 4096;
    if (compressed || input.size < 0)
        return 64 * 1024;
    return std::min(kFull, std::size_t(input.size) + 1);
}

} // namespace

ParsePipeline::ParsePipeline(const QList<InputFile> &inputs, const std::atomic<bool> &cancel,
                             std::size_t readBufferBytes)
    : m_inputs(inputs), m_cancel(cancel), m_readBufferBytes(readBufferBytes)
{
    m_thread = std::thread([this] { produce(); });
}

ParsePipeline::~ParsePipeline()
{
    stop();
    if (m_thread.joinable())
        m_thread.join();
}

void ParsePipeline::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopped = true;
    }
    m_changed.notify_all();
}

bool ParsePipeline::push(std::unique_ptr<ParsedBlock> item)
{
    const std::size_t lines = item->lines.size(), bytes = item->text.size();
    std::unique_lock lock(m_mutex);
    const auto room = [&] {
        return m_queue.empty() || m_stopped ||
               (m_queuedLines + lines <= kQueuedLines && m_queuedBytes + bytes <= kQueuedBytes &&
                m_queue.size() < kQueuedItems);
    };
    if (!room()) {
        m_producerWaiting = true;
        m_changed.wait(lock, room);
        m_producerWaiting = false;
    }
    if (m_stopped)
        return false;
    m_queuedLines += lines;
    m_queuedBytes += bytes;
    m_queue.push_back(std::move(item));
    // Only a waiting consumer is woken: a folder of small objects makes three blocks per object, and a
    // wake-up per block cost more than the blocks themselves.
    if (m_consumerWaiting)
        m_changed.notify_all();
    return true;
}

std::unique_ptr<ParsedBlock> ParsePipeline::next()
{
    std::unique_lock lock(m_mutex);
    if (m_queue.empty() && !m_stopped) {
        m_consumerWaiting = true;
        m_changed.wait(lock, [this] { return !m_queue.empty() || m_stopped; });
        m_consumerWaiting = false;
    }
    if (m_queue.empty())
        return block(ParsedBlock::Kind::Done, -1);
    std::unique_ptr<ParsedBlock> item = std::move(m_queue.front());
    m_queue.pop_front();
    m_queuedLines -= item->lines.size();
    m_queuedBytes -= item->text.size();
    // The reader is woken once the queue is half drained, not at every block taken.
    if (m_producerWaiting && (m_queue.size() <= kQueuedItems / 2 && m_queuedLines <= kQueuedLines / 2 &&
                              m_queuedBytes <= kQueuedBytes / 2))
        m_changed.notify_all();
    return item;
}

void ParsePipeline::produce()
{
    auto stopping = [this] { return m_stopped.load() || m_cancel.load(std::memory_order_relaxed); };
    // One reader for all the files, so its buffer is allocated (and zeroed) once, not once per file.
    LineReader reader(m_readBufferBytes);
    for (int index = 0; index < int(m_inputs.size()) && !stopping(); ++index) {
        if (!reader.open(m_inputs.at(index).path)) {
            if (!push(block(ParsedBlock::Kind::FileStart, index, reader.errorString())))
                return;
            continue;
        }
        if (!push(block(ParsedBlock::Kind::FileStart, index)))
            return;

        QString fileError;
        std::vector<std::pair<std::size_t, std::size_t>> spans; // offset, length in the block's text
        std::vector<qint64> numbers;
        std::vector<bool> cut;
        std::size_t capacity = 0; // known once the first read tells whether the file is compressed
        std::unique_ptr<ParsedBlock> current = block(ParsedBlock::Kind::Lines, index);

        // Parsing happens only once a block's text is complete, so the records' views stay valid.
        // `more`: lines of this file may follow, so a next block is needed.
        auto flush = [&](bool more) {
            ParsedBlock &b = *current;
            // Blocks wait in the queue and in the storing thread's open transaction (up to a batch of
            // lines: for small compressed objects, a thousand blocks): room they do not use is given
            // back before the lines point into the text. A compressed file's next block starts as
            // large as this one grew.
            capacity = std::max(capacity, std::min(b.text.size() + 4096, kBlockBytes + 4096));
            if (b.text.capacity() > b.text.size() + b.text.size() / 8 + 4096)
                b.text.shrink_to_fit();
            b.lines.resize(spans.size());
            ParseError error;
            for (std::size_t i = 0; i < spans.size(); ++i) {
                ParsedBlock::Line &line = b.lines[i];
                line.text = std::string_view(b.text.data() + spans[i].first, spans[i].second);
                line.number = numbers[i];
                if (cut[i]) {
                    line.parsed = false;
                    line.rejectReason =
                        QStringLiteral("cut off: the compressed file ends in the middle of this line");
                    continue;
                }
                line.parsed = S3LogParser::parse(line.text, line.record, &error);
                if (!line.parsed)
                    line.rejectReason = QString::fromStdString(error.message());
            }
            b.inputBytesRead = reader.inputBytesRead();
            spans.clear();
            numbers.clear();
            cut.clear();
            const bool pushed = push(std::move(current));
            if (more) {
                current = block(ParsedBlock::Kind::Lines, index);
                current->text.reserve(capacity);
            }
            return pushed;
        };

        std::string_view line;
        bool first = true;
        while (reader.readLine(line)) {
            if (first) {
                first = false;
                capacity = textCapacity(m_inputs.at(index), reader.isCompressed());
                current->text.reserve(capacity);
                if (reader.looksBinary()) {
                    fileError =
                        QStringLiteral("%1: binary data (NUL bytes in the first block), not an S3 access "
                                       "log; skipped")
                            .arg(m_inputs.at(index).path);
                    break;
                }
            }
            // A file that grew since it was listed (a log still being written) may end in a line whose
            // rest is not written yet: storing it would keep a cut record (or reject a good one) for
            // good, as the whole line would later be a duplicate. Leave it for the next ingest.
            if (reader.lastLineUnterminated() && !reader.isCompressed() && m_inputs.at(index).size >= 0 &&
                QFileInfo(m_inputs.at(index).path).size() != m_inputs.at(index).size) {
                fileError = QStringLiteral("%1: the file grew while it was read; its last line (%2) was "
                                           "still being written and was left out: ingest the file again "
                                           "to read the rest")
                                .arg(m_inputs.at(index).path, QString::number(reader.lineNumber()));
                break;
            }
            if (isBlank(line))
                continue;
            spans.emplace_back(current->text.size(), line.size());
            numbers.push_back(reader.lineNumber());
            cut.push_back(reader.lastLineCut());
            current->text.insert(current->text.end(), line.begin(), line.end());
            if ((current->text.size() >= kBlockBytes || spans.size() >= kBlockLines) && !flush(true))
                return;
            if (stopping())
                break;
        }
        if (!spans.empty() && !flush(false))
            return;
        if (fileError.isEmpty() && reader.hasError())
            fileError = reader.errorString();
        auto end = block(ParsedBlock::Kind::FileEnd, index, fileError);
        end->inputBytesRead = reader.inputBytesRead();
        if (!push(std::move(end)))
            return;
    }
    push(block(ParsedBlock::Kind::Done, -1));
}

} // namespace BucketScope
