import ArgumentParser
import Logging
import SwitchboardServer

/// Bootstraps swift-log once for this process (only commands do this, never libraries) and returns the root logger.
func makeLogger(format: LogFormat, level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = LogLineHandler(label: label, format: format)
        handler.logLevel = level
        return handler
    }
    var logger = Logger(label: "switchboard")
    logger.logLevel = level
    return logger
}

extension LogFormat: ExpressibleByArgument {}

extension ServerConfiguration.Address: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(argument)
    }
}
extension Logger.Level: @retroactive ExpressibleByArgument {}
