import SwitchboardCore
import Testing

@testable import SwitchboardServer

/// The counts a replica shows and decides from between reads of the store, when its own changes cross a read.
struct StoreViewTests {
    @Test func aSlotTakenWhileARefreshIsOnItsWayIsNotLost() {
        var view = StoreView()
        view.refreshed(["a": Occupancy(active: 1, draining: false)])
        view.refreshStarted()
        // Committed after the database took the refresh's snapshot, so the read says 1.
        view.took("a")
        view.setDraining("b", true)
        view.refreshed(["a": Occupancy(active: 1, draining: false)])
        #expect(view.counts["a"]?.active == 2)
        #expect(view.counts["b"]?.draining == true)
        // The next read is the truth again.
        view.refreshStarted()
        view.refreshed(["a": Occupancy(active: 2, draining: false), "b": Occupancy(active: 0, draining: true)])
        #expect(view.counts["a"]?.active == 2)
    }

    @Test func changesBeforeARefreshStartedAreTheReadsToTell() {
        var view = StoreView()
        view.took("a")
        view.took("a")
        view.released("a")
        #expect(view.counts["a"]?.active == 1)
        view.refreshStarted()
        // Another replica ended the call meanwhile: the read wins.
        view.refreshed(["a": Occupancy(active: 0, draining: false)])
        #expect(view.counts["a"]?.active == 0)
        // A failed read changes nothing and ends the window.
        view.refreshStarted()
        view.took("a")
        view.refreshed(nil)
        view.refreshed(["a": Occupancy(active: 1, draining: false)])
        #expect(view.counts["a"]?.active == 1)
    }
}
