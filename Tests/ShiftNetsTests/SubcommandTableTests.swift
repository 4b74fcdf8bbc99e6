import Testing
import ShiftOpsTestSupport
import ShiftOpsTool

/// The `shiftops` subcommands are one table: its names reach their commands, and an unknown
/// name is refused with the list of them, in the table's order.
@Suite struct SubcommandTableTests {
    @Test func unknownCommandListsEverySubcommand() {
        let result = CommandResult(running: ShiftOpsCommand.main, ["frobnicate"])
        #expect(result.status == 2)
        #expect(result.errors == "shiftops: unknown command 'frobnicate'; expected run, bench, bench-pointwise, bench-network, "
                + "demo, count, check or golden\n")
    }

    /// Each name reaches its own command: an unknown option is refused there, not as an unknown
    /// command, and the help words print the usage.
    @Test func everyNameReachesItsCommand() {
        for name in ["run", "bench", "bench-pointwise", "bench-network", "demo", "count", "check", "golden"] {
            let result = CommandResult(running: ShiftOpsCommand.main, [name, "--no-such-option"])
            #expect(result.status == 2 && !result.errors.contains("unknown command"), "\(name): \(result.errors)")
            #expect(ShiftOpsCommand.usage.contains("\n  \(name) "), "\(name)")
        }
        for help in ["-h", "--help", "help"] {
            let result = CommandResult(running: ShiftOpsCommand.main, [help])
            #expect(result.status == 0 && result.output == ShiftOpsCommand.usage + "\n", "\(help)")
        }
    }
}
