import ShiftOpsTool
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

exit(ShiftOpsCommand.main(Array(CommandLine.arguments.dropFirst())))
