import Testing

@testable import SwitchboardHealth

struct DueQueueTests {
    @Test func popsInDeadlineOrder() {
        let start = ContinuousClock.now
        var queue = DueQueue()
        let offsets = [50, 10, 40, 10, 30, 0, 20, 60, 5]
        for (index, offset) in offsets.enumerated() {
            queue.insert(.init(due: start + .milliseconds(offset), id: UInt64(index), stamp: 0))
        }
        var popped: [ContinuousClock.Instant] = []
        while let entry = queue.popFirst() { popped.append(entry.due) }
        #expect(popped == offsets.sorted().map { start + .milliseconds($0) })
        #expect(queue.isEmpty)
    }
}
