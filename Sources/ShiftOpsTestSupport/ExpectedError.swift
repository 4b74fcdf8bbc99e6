import ShiftOps

/// The one check that a call fails the documented way: with a ``ShiftOps/ShiftOpsError`` of a
/// given code, naming a given argument (and, optionally, saying a given thing).
public enum ExpectedError {
    /// What is wrong with the way `body` ended, or nil when it threw as expected.
    ///
    /// - Parameters:
    ///   - code: the error code the call must throw.
    ///   - argument: the argument the error must name.
    ///   - text: words the error's description must contain; nil to leave the wording unchecked.
    ///   - body: the call.
    /// - Returns: nil for the expected error; otherwise a sentence for the test report (the call
    ///   succeeded, threw another error, or threw this one with another code, argument or wording).
    public static func mismatch(_ code: ShiftOpsError.Code, _ argument: String, containing text: String? = nil,
                                _ body: () throws -> Void) -> String? {
        do {
            try body()
            return "expected \(code) naming \(argument), got success"
        } catch let error as ShiftOpsError {
            if error.code != code || error.argument != argument {
                return "expected \(code) naming \(argument), got \(error)"
            }
            if let text, !error.description.contains(text) {
                return "expected the message to contain \"\(text)\", got \(error)"
            }
            return nil
        } catch {
            return "expected \(code) naming \(argument), got the unexpected error \(error)"
        }
    }
}
