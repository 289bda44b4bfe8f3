using System.Globalization;

namespace ConnExporter.Tests.Fuzzing;

/// <summary>
/// How much to fuzz: <c>FUZZ_ITERATIONS</c> inputs per target (10 000 in the normal suite, a
/// million or more from scripts/fuzz.sh) from <c>FUZZ_SEED</c> (fixed by default, so a failure
/// reproduces; the failing input's iteration number is in the assertion message).
/// </summary>
internal static class FuzzSettings
{
    public static int Iterations => Read("FUZZ_ITERATIONS", 10_000);

    public static int Seed => Read("FUZZ_SEED", 20_260_601);

    private static int Read(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value : fallback;
}
