import Logging
import ServiceLifecycle
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

@Suite(.timeLimit(.minutes(1)))
struct MemoryReclaimerTests {
    #if canImport(Glibc)
    /// Memory freed in holes between live blocks stays resident until the reclaimer gives it back.
    @Test func freedMemoryLeavesTheResidentSize() throws {
        let block = 1024, count = 64 * 1024  // 64 MiB in 1 KiB blocks
        let blocks = (0..<count).map { _ in
            let pointer = UnsafeMutableRawPointer.allocate(byteCount: block, alignment: 16)
            pointer.initializeMemory(as: UInt8.self, repeating: 0xA5, count: block)  // make every page resident
            return pointer
        }
        // Keep every 64th block, so the freed memory is in holes the allocator cannot hand back by itself.
        for (index, pointer) in blocks.enumerated() where index % 64 != 0 { pointer.deallocate() }
        defer { for (index, pointer) in blocks.enumerated() where index % 64 == 0 { pointer.deallocate() } }

        let reclaimed = try #require(MemoryReclaimer.reclaim(threshold: 32 << 20))
        #expect(reclaimed.free >= 32 << 20)
        // About 63 MiB was freed; at least half of it must have left the resident set.
        #expect(reclaimed.residentBefore - reclaimed.residentAfter >= 32 << 20)
    }
    #endif

    @Test func nothingIsTrimmedBelowTheThreshold() {
        #expect(MemoryReclaimer.reclaim(threshold: .max) == nil)
    }

    /// The reclaimer sleeps between rounds; a graceful shutdown must not wait for its interval (an hour here).
    @Test func gracefulShutdownStopsItAtOnce() async throws {
        let reclaimer = MemoryReclaimer(logger: quietLogger, interval: .seconds(3600))
        let group = ServiceGroup(
            services: [reclaimer], gracefulShutdownSignals: [], cancellationSignals: [], logger: quietLogger
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
