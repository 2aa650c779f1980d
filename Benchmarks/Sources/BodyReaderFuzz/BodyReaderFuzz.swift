// libFuzzer entry point for scripts/fuzz-body-reader.sh: every input must be read or refused, never crash.
// Only a `swift build --sanitize fuzzer` links libFuzzer's driver; any other build makes an executable that does nothing.
import SwitchboardCore

@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    _ = try? IncomingCall(json: bytes)
    return 0
}
