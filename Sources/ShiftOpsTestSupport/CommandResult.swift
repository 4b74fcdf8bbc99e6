/// What one in-process run of a command-line entry point printed and returned.
public struct CommandResult: Sendable {
    /// The exit status: 0 for success, 2 for a usage or input error.
    public var status: Int32
    /// Standard output, one line per printed line, each ending in a newline.
    public var output: String
    /// Standard error, likewise.
    public var errors: String

    /// Runs `main` on `arguments`, capturing what it prints instead of letting it reach the
    /// terminal.
    ///
    /// - Parameters:
    ///   - main: the entry point: it takes the arguments, a line printer for standard output and
    ///     one for standard error, and returns the exit status (`ShiftOpsCommand.main` has this shape).
    ///   - arguments: the arguments after the program name.
    public init(running main: ([String], (String) -> Void, (String) -> Void) -> Int32, _ arguments: [String]) {
        var output = "", errors = ""
        status = main(arguments, { output += $0 + "\n" }, { errors += $0 + "\n" })
        self.output = output
        self.errors = errors
    }
}
