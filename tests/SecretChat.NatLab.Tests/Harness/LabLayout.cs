namespace SecretChat.NatLab.Tests.Harness;

/// <summary>Where a peer sits in the lab.</summary>
public enum Site
{
    /// <summary>Behind a home router with endpoint-independent mapping (plain MASQUERADE, keeps the port when free).</summary>
    Cone,

    /// <summary>Behind a router with endpoint-dependent mapping (MASQUERADE --random-fully: a new port per destination).</summary>
    Symmetric,

    /// <summary>No NAT: a public address on the internet.</summary>
    Public,

    /// <summary>Bob only: on alice's LAN, behind the same router.</summary>
    SameLan,
}

/// <summary>
/// The shape of a lab: where alice and bob sit, and the share of forwarded packets every router drops
/// each way (0.1 = 10 %). Every router drops unsolicited traffic from its WAN side.
/// </summary>
public sealed record LabLayout(Site Alice, Site Bob, double Loss = 0)
{
    public static LabLayout ConeToCone { get; } = new(Site.Cone, Site.Cone);

    public static LabLayout ConeToPublic { get; } = new(Site.Cone, Site.Public);

    public static LabLayout SymmetricToSymmetric { get; } = new(Site.Symmetric, Site.Symmetric);

    /// <summary>Alice behind a symmetric NAT, bob public: her punch reaches him from a port nobody announced (peer-reflexive).</summary>
    public static LabLayout SymmetricToPublic { get; } = new(Site.Symmetric, Site.Public);

    /// <summary>Alice public, bob behind a symmetric NAT.</summary>
    public static LabLayout PublicToSymmetric { get; } = new(Site.Public, Site.Symmetric);

    public static LabLayout SameLan { get; } = new(Site.Cone, Site.SameLan);

    public LabLayout WithLoss(double loss) => this with { Loss = loss };

    internal IEnumerable<string> ScriptArguments()
    {
        if (Alice == Site.SameLan)
            throw new ArgumentException("Only bob can share alice's LAN.", nameof(Alice));
        if (Bob == Site.SameLan && Alice == Site.Public)
            throw new ArgumentException("Bob can share alice's LAN only when alice is behind a router.", nameof(Bob));
        if (Loss is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "Loss is a probability between 0 and 1.");
        return ["--a", ScriptName(Alice), "--b", ScriptName(Bob), "--loss", Loss.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)];
    }

    private static string ScriptName(Site site) => site switch
    {
        Site.Cone => "cone",
        Site.Symmetric => "symmetric",
        Site.Public => "public",
        Site.SameLan => "lan",
        _ => throw new ArgumentOutOfRangeException(nameof(site), site, null),
    };

    public override string ToString() =>
        $"alice {Alice}, bob {Bob}{(Loss > 0 ? $", {Loss:P0} loss each way" : "")}";
}
