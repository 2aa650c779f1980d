import CCurl

#if canImport(Glibc)
import Glibc
#endif

/// Drives a curl multi handle with `curl_multi_socket_action` and one `poll` per wait.
///
/// libcurl tells the driver which sockets it wants watched (`CURLMOPT_SOCKETFUNCTION`) and when its next
/// timer fires (`CURLMOPT_TIMERFUNCTION`); the driver polls exactly those sockets plus an eventfd for
/// wakeups, and hands each ready socket back with its readiness. Unlike `curl_multi_perform` +
/// `curl_multi_poll`, libcurl then neither runs every transfer on every turn nor polls each transfer's
/// socket once more to learn what the driver already knows (libcurl 7.88's `Curl_readwrite` does a
/// zero-timeout `poll` per transfer and turn unless it is told the readiness): about 2.5 `poll` calls
/// per probe fewer. No `epoll_ctl` per socket either: the watch list lives in user space.
///
/// Used by the engine thread only, except `wakeup()`, which any thread may call while the driver is open.
final class SocketDriver {
    let multi: UnsafeMutableRawPointer
    /// Sockets libcurl wants watched, with the `poll` events it wants.
    private var watched: [curl_socket_t: Int16] = [:]
    /// When libcurl wants `curl_multi_socket_action(CURL_SOCKET_TIMEOUT)`; nil: no timer.
    private var timerDeadline: ContinuousClock.Instant?
    private var pollSet: [pollfd] = []
    /// Written by `wakeup()`, polled with the sockets.
    let wakeupFD: Int32

    /// Nil when the eventfd cannot be made.
    init?(multi: UnsafeMutableRawPointer) {
        let fd = ccurl_wakeup_eventfd()
        guard fd >= 0 else { return nil }
        self.multi = multi
        self.wakeupFD = fd
        pollSet.reserveCapacity(64)
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_multi_setopt_socket_callback(multi, socketCallback)
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, context)
        _ = ccurl_multi_setopt_timer_callback(multi, timerCallback)
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, context)
    }

    /// Detaches the callbacks (before the multi handle is cleaned up) and closes the eventfd. Call once,
    /// after no thread can call `wakeup()` any more.
    func close() {
        _ = ccurl_multi_setopt_socket_callback(multi, nil)
        _ = ccurl_multi_setopt_timer_callback(multi, nil)
        _ = Glibc.close(wakeupFD)
    }

    /// Makes a `wait` in progress (or the next one) return at once. Safe from any thread while open.
    static func wakeup(_ fd: Int32) {
        var one: UInt64 = 1
        _ = write(fd, &one, MemoryLayout<UInt64>.size)
    }

    /// Runs libcurl's due timers (new transfers start this way: adding a handle sets a zero timer).
    func runTimers() {
        guard let deadline = timerDeadline, deadline <= .now else { return }
        var running: Int32 = 0
        _ = curl_multi_socket_action(multi, -1 /* CURL_SOCKET_TIMEOUT */, 0, &running)
        // Ask for the next timer rather than rely on the callback: libcurl skips the callback when its
        // earliest timer is still the one it last reported, and a timer lost here would stall transfers.
        var milliseconds = -1
        _ = curl_multi_timeout(multi, &milliseconds)
        setTimer(milliseconds: milliseconds)
    }

    /// Sleeps until a watched socket is ready, libcurl's timer is due, `until` is reached or a wakeup
    /// arrives (at most `maxMilliseconds`), then hands every ready socket to libcurl and runs due timers.
    /// With no socket, no timer and no `until`, nothing can happen but a wakeup: it sleeps until one.
    func wait(until next: ContinuousClock.Instant?, maxMilliseconds: Int32) {
        let deadline = [next, timerDeadline].compactMap { $0 }.min()
        let timeout = deadline == nil && watched.isEmpty ? -1 : Self.milliseconds(until: deadline, max: maxMilliseconds)
        pollSet.removeAll(keepingCapacity: true)
        pollSet.append(pollfd(fd: wakeupFD, events: Int16(POLLIN), revents: 0))
        for (fd, events) in watched { pollSet.append(pollfd(fd: fd, events: events, revents: 0)) }
        let ready = pollSet.withUnsafeMutableBufferPointer { fds in
            poll(fds.baseAddress, nfds_t(fds.count), timeout)
        }
        if ready > 0 {
            if pollSet[0].revents != 0 {
                var value: UInt64 = 0
                _ = read(wakeupFD, &value, MemoryLayout<UInt64>.size)
            }
            var running: Int32 = 0
            for index in 1..<pollSet.count where pollSet[index].revents != 0 {
                let revents = Int32(pollSet[index].revents)
                var bits: Int32 = 0
                if revents & Int32(POLLIN | POLLHUP) != 0 { bits |= CURL_CSELECT_IN }
                if revents & Int32(POLLOUT) != 0 { bits |= CURL_CSELECT_OUT }
                if revents & Int32(POLLERR | POLLNVAL) != 0 { bits |= CURL_CSELECT_ERR }
                _ = curl_multi_socket_action(multi, pollSet[index].fd, bits, &running)
            }
        }
        runTimers()
    }

    fileprivate func watch(_ fd: curl_socket_t, what: Int32) {
        switch what {
        case CURL_POLL_IN: watched[fd] = Int16(POLLIN)
        case CURL_POLL_OUT: watched[fd] = Int16(POLLOUT)
        case CURL_POLL_INOUT: watched[fd] = Int16(POLLIN | POLLOUT)
        default: watched[fd] = nil  // CURL_POLL_REMOVE (and CURL_POLL_NONE: nothing to wait for)
        }
    }

    /// libcurl reports whole milliseconds rounded down (and 1 for "under a millisecond"), so a positive
    /// value gets one more: the deadline is never before libcurl's own, and a turn never finds nothing due.
    func setTimer(milliseconds: Int) {
        switch milliseconds {
        case ..<0: timerDeadline = nil
        case 0: timerDeadline = .now
        default: timerDeadline = .now + .milliseconds(milliseconds + 1)
        }
    }

    /// Whole milliseconds from now to `deadline`, rounded up (never wake before it), capped at `max`.
    static func milliseconds(until deadline: ContinuousClock.Instant?, max: Int32) -> Int32 {
        guard let deadline else { return max }
        let delay = ContinuousClock.now.duration(to: deadline)
        guard delay > .zero else { return 0 }
        let (seconds, attoseconds) = delay.components
        guard seconds < Int64(max) / 1000 + 1 else { return max }
        let rounded = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(Swift.min(Int64(max), rounded))
    }
}

private let socketCallback: curl_socket_callback = { _, fd, what, context, _ in
    guard let context else { return 0 }
    Unmanaged<SocketDriver>.fromOpaque(context).takeUnretainedValue().watch(fd, what: what)
    return 0
}

private let timerCallback: curl_multi_timer_callback = { _, milliseconds, context in
    guard let context else { return 0 }
    Unmanaged<SocketDriver>.fromOpaque(context).takeUnretainedValue().setTimer(milliseconds: milliseconds)
    return 0
}
