// Many cheap backends in one process: COUNT listeners on 127.0.0.1:BASE..<BASE+COUNT, one event loop.
// Each answers a WebSocket upgrade with a correct 101 (then waits for the client to close) and any other
// request with a keep-alive `200 ok`. Prints request counts every second so probe rates can be cross-checked.
// Usage: bench-farm BASE COUNT
import Crypto
import Foundation
import NIOCore
import NIOPosix
import Synchronization

let requests = Atomic<Int>(0)
let upgrades = Atomic<Int>(0)

/// Reads request heads and answers each one; no HTTP parser beyond finding the blank line and one header.
final class FarmHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var pending = ByteBuffer()
    private static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    private static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        pending.writeBuffer(&incoming)
        while let view = pending.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) {
            let length = view.upperBound - pending.readerIndex
            guard let head = pending.readString(length: length) else { return }
            let answer: String
            if let key = Self.header("sec-websocket-key", in: head) {
                let accept = Data(Insecure.SHA1.hash(data: Data((key + Self.guid).utf8))).base64EncodedString()
                answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: \(accept)\r\n\r\n"
                upgrades.add(1, ordering: .relaxed)
            } else {
                answer = Self.ok
                requests.add(1, ordering: .relaxed)
            }
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: answer)), promise: nil)
        }
        pending.discardReadBytes()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private static func header(_ name: String, in head: String) -> String? {
        for line in head.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == name else { continue }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}

extension ByteBufferView {
    func firstRange(of needle: [UInt8]) -> Range<Int>? {
        guard count >= needle.count else { return nil }
        var index = startIndex
        while index <= endIndex - needle.count {
            if self[index..<(index + needle.count)].elementsEqual(needle) { return index..<(index + needle.count) }
            index += 1
        }
        return nil
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let base = Int(arguments[1]), let count = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: bench-farm BASE COUNT\n".utf8))
    exit(2)
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FarmHandler()) }
    }
var channels: [any Channel] = []
for port in base..<(base + count) {
    channels.append(try await bootstrap.bind(host: "127.0.0.1", port: port).get())
}
print("farm ready: \(count) listeners on 127.0.0.1:\(base)-\(base + count - 1)")
fflush(nil)
while true {
    try await Task.sleep(for: .seconds(1))
    print("farm: requests=\(requests.load(ordering: .relaxed)) upgrades=\(upgrades.load(ordering: .relaxed))")
    fflush(nil)
}
