import Foundation
import Logging
import Dispatch
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

struct LogLineHandlerTests {
    /// Lines written through a sink into a pipe, read back after `flush()`.
    static func capture(_ body: (LogSink) -> Void, capacity: Int = 8 << 20) throws -> [String] {
        let pipe = Pipe()
        let sink = LogSink(descriptor: pipe.fileHandleForWriting.fileDescriptor, capacity: capacity)
        body(sink)
        sink.flush()
        try pipe.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func jsonLinesAreOneObjectEach() throws {
        let lines = try Self.capture { sink in
            let logger = Logger(label: "switchboard") { LogLineHandler(label: $0, format: .json, sink: sink) }
            logger.info("decision", metadata: ["route": "vip \"gold\"", "us": .stringConvertible(42), "list": ["a", "b"]])
            logger.notice("tab\there\nnewline")
        }
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["msg"] as? String == "decision")
        #expect(first["level"] as? String == "info")
        #expect(first["route"] as? String == "vip \"gold\"")
        #expect(first["us"] as? String == "42")
        #expect(first["list"] as? [String] == ["a", "b"])
        #expect((first["ts"] as? String)?.count == 24)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["msg"] as? String == "tab\there\nnewline")
    }

    @Test func textLinesCarrySortedMetadata() throws {
        let lines = try Self.capture { sink in
            let logger = Logger(label: "switchboard") { LogLineHandler(label: $0, format: .text, sink: sink) }
            logger.info("decision", metadata: ["route": "r", "backend": "b"])
        }
        #expect(lines.count == 1)
        #expect(lines[0].hasSuffix(" info switchboard: decision backend=b route=r"))
        #expect(lines[0].hasPrefix("20"))
    }

    @Test func forgedValuesStayOneFieldOnOneLine() throws {
        let lines = try Self.capture { sink in
            let logger = Logger(label: "switchboard") { LogLineHandler(label: $0, format: .text, sink: sink) }
            logger.notice(
                "webhook refused\nfake",
                metadata: [
                    "request_id": "x status=200\n2026-01-01T00:00:00.000Z info switchboard: decision route=vip",
                    "reason": #"say "hi" \ bye"#, "plain": "abc", "empty": "", "nel": "a\u{85}b",
                ]
            )
        }
        #expect(lines.count == 1)
        #expect(lines[0].hasSuffix(
            #" notice switchboard: webhook refused\nfake empty="" nel="a\u0085b" plain=abc reason="say \"hi\" \\ bye" "#
                + #"request_id="x status=200\n2026-01-01T00:00:00.000Z info switchboard: decision route=vip""#
        ))
    }

    @Test func linesKeepTheirOrderAcrossThreads() throws {
        let lines = try Self.capture { sink in
            DispatchQueue.concurrentPerform(iterations: 4) { thread in
                for index in 0..<500 { sink.write("\(thread) \(index)\n") }
            }
        }
        #expect(lines.count == 2_000)
        for thread in 0..<4 {
            let mine = lines.filter { $0.hasPrefix("\(thread) ") }.map { Int($0.split(separator: " ")[1])! }
            #expect(mine == Array(0..<500))
        }
    }

    /// Each write hands the sink's pending buffer over and takes the one written before, emptied: flushed while
    /// lines are being appended, every line still arrives once, in its thread's order.
    @Test func linesKeepTheirOrderAcrossFlushes() throws {
        // A file rather than a pipe, so a sink writing too much fails the count instead of filling the pipe.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-sink-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let sink = LogSink(descriptor: descriptor)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            guard thread < 3 else {
                for _ in 0..<200 { sink.flush() }
                return
            }
            for index in 0..<500 { sink.write(Array("\(thread) \(index)\n".utf8)) }
        }
        sink.flush()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1_500)
        for thread in 0..<3 {
            let mine = lines.filter { $0.hasPrefix("\(thread) ") }.map { Int($0.split(separator: " ")[1])! }
            #expect(mine == Array(0..<500))
        }
    }

    @Test func aFullBufferDropsLinesInsteadOfBlocking() throws {
        let lines = try Self.capture({ sink in
            for index in 0..<100 {
                let line = "line \(String(format: "%03d", index))".padding(toLength: 39, withPad: ".", startingAt: 0)
                sink.write(line + "\n")
            }
        }, capacity: 400)
        // Ten 40-byte lines fit; the rest are counted and reported.
        #expect(lines.count == 11)
        #expect(lines.last == "log output fell behind: 90 lines dropped")
    }

    /// A running sink into a scratch file, stopped by cancelling its task once `body` returns; `body` gets the sink and
    /// reads the file's text. Returns the file's text after the sink stopped.
    static func running(
        interval: Duration, _ body: (LogSink, @escaping @Sendable () -> String) async throws -> Void
    ) async throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-sink-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let written: @Sendable () -> String = { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        let sink = LogSink(descriptor: descriptor, interval: interval)
        let task = Task { try await sink.run() }
        try await body(sink, written)
        task.cancel()
        try await task.value
        return written()
    }

    /// The writer sleeps until a line is waiting: each line after an idle spell wakes it and is written promptly.
    @Test(.timeLimit(.minutes(1))) func aRunningSinkWritesLinesAfterSleeping() async throws {
        let text = try await Self.running(interval: .milliseconds(10)) { sink, written in
            sink.write("first\n")
            #expect(await eventually { written() == "first\n" })
            sink.write("second\n")
            #expect(await eventually { written() == "first\nsecond\n" })
        }
        #expect(text == "first\nsecond\n")
    }

    /// Stopping writes out what is waiting, however long the writer would still have gathered lines.
    @Test(.timeLimit(.minutes(1))) func stoppingTheSinkWritesWhatIsWaiting() async throws {
        let text = try await Self.running(interval: .seconds(3600)) { sink, written in
            sink.write("last words\n")
            #expect(written() == "")
        }
        #expect(text == "last words\n")
    }
}
