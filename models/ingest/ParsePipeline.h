// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "input/InputCollector.h"
#include "input/LineReader.h"
#include "parser/S3LogParser.h"

#include <QString>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace BucketScope {

// What the reading thread hands to the storing thread: a file starting or ending, or a block of parsed
// lines whose records point into the block's own copy of the text.
struct ParsedBlock
{
    enum class Kind
    {
        FileStart, // `error` set when the file could not be opened
        Lines,
        FileEnd, // `error` set when the file was cut short (truncated .gz, binary, read error)
        Done,
    };
    struct Line
    {
        std::string_view text;
        qint64 number = 0;
        bool parsed = false;
        S3Record record;
        QString rejectReason;
    };

    Kind kind = Kind::Lines;
    int fileIndex = -1;
    QString error;
    qint64 inputBytesRead = 0; // of the current file, for progress
    std::vector<char> text;
    std::vector<Line> lines;
};

// Reads and parses the inputs on its own thread, a few blocks ahead of the consumer, so reading and
// parsing overlap with storing on the other core. The queue is bounded by the lines and bytes it holds
// (kQueuedBlocks full blocks' worth), not by its number of blocks: a small log object makes a small
// block, and a queue of four of them would leave the storing thread waiting for the reader at almost
// every file. Memory stays flat whatever the input size.
class ParsePipeline
{
public:
    // `readBufferBytes`: each file's LineReader buffer (small ones are for tests and fuzzing).
    ParsePipeline(const QList<InputFile> &inputs, const std::atomic<bool> &cancel,
                  std::size_t readBufferBytes = LineReader::kDefaultBufferBytes);
    ~ParsePipeline();
    ParsePipeline(const ParsePipeline &) = delete;
    ParsePipeline &operator=(const ParsePipeline &) = delete;

    // Blocks until the next block is ready; the last one has Kind::Done.
    std::unique_ptr<ParsedBlock> next();
    // Stops the reading thread early (cancel, or the store failed).
    void stop();

    static constexpr std::size_t kBlockBytes = 2u << 20;
    static constexpr std::size_t kBlockLines = 8192;
    static constexpr std::size_t kQueuedBlocks = 4;
    static constexpr std::size_t kQueuedLines = kQueuedBlocks * kBlockLines;
    static constexpr std::size_t kQueuedBytes = kQueuedBlocks * kBlockBytes;
    // Blocks without lines (a file's start and end) count too, so a folder of empty files stays bounded.
    static constexpr std::size_t kQueuedItems = 4096;

private:
    void produce();
    bool push(std::unique_ptr<ParsedBlock> block);

    QList<InputFile> m_inputs;
    const std::atomic<bool> &m_cancel;
    std::size_t m_readBufferBytes;
    std::atomic<bool> m_stopped{false};
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::unique_ptr<ParsedBlock>> m_queue;
    std::size_t m_queuedLines = 0;
    std::size_t m_queuedBytes = 0;
    bool m_consumerWaiting = false; // guarded by m_mutex
    bool m_producerWaiting = false;
    std::thread m_thread;
};

} // namespace BucketScope
