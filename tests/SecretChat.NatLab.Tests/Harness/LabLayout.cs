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

    /// <summary>Alice only: a cone home router behind a carrier-grade NAT (cone too): two NATs, both filtering. IPv4 only.</summary>
    CarrierGradeNat,

    /// <summary>
    /// Bob only: on alice's router, on an isolated port (guest Wi-Fi): no LAN path between them, and the router does
    /// not hairpin (no lab router does), so their reflexive addresses do not reach each other either.
    /// </summary>
    IsolatedLan,
}

/// <summary>The address families of the lab's hosts.</summary>
public enum LabIp
{
    /// <summary>IPv4 only (the default).</summary>
    V4,

    /// <summary>Every host also has a global IPv6 address (2001:db8::/32, inside the lab), routed without NAT behind a stateful firewall.</summary>
    DualStack,

    /// <summary>IPv6-only hosts; the signaling server at [2001:db8:0:1::1]:3478.</summary>
    V6Only,
}

/// <summary>
/// The shape of a lab: where alice and bob sit, and the share of forwarded packets every router drops
/// each way (0.1 = 10 %). Every router drops unsolicited traffic from its WAN side.
/// </summary>
public sealed record LabLayout(Site Alice, Site Bob, double Loss = 0, LabIp Ip = LabIp.V4)
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
        if (Alice is Site.SameLan or Site.IsolatedLan)
            throw new ArgumentException("Only bob can share alice's LAN.", nameof(Alice));
        if (Bob == Site.CarrierGradeNat)
            throw new ArgumentException("Only alice can sit behind the carrier-grade NAT.", nameof(Bob));
        if (Bob is Site.SameLan or Site.IsolatedLan && Alice == Site.Public)
            throw new ArgumentException("Bob can share alice's LAN only when alice is behind a router.", nameof(Bob));
        if (Alice == Site.CarrierGradeNat && Ip != LabIp.V4)
            throw new ArgumentException("The carrier-grade NAT is IPv4 only.", nameof(Ip));
        if (Loss is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "Loss is a probability between 0 and 1.");
        List<string> arguments = ["--a", ScriptName(Alice), "--b", ScriptName(Bob), "--loss", Loss.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)];
        if (Ip != LabIp.V4)
            arguments.AddRange(["--ip", Ip == LabIp.DualStack ? "dual" : "6"]);
        return arguments;
    }

    private static string ScriptName(Site site) => site switch
    {
        Site.Cone => "cone",
        Site.Symmetric => "symmetric",
        Site.Public => "public",
        Site.SameLan => "lan",
        Site.CarrierGradeNat => "cgnat",
        Site.IsolatedLan => "lan-isolated",
        _ => throw new ArgumentOutOfRangeException(nameof(site), site, null),
    };

    public override string ToString() =>
        $"alice {Alice}, bob {Bob}{(Loss > 0 ? $", {Loss:P0} loss each way" : "")}{Ip switch { LabIp.DualStack => ", dual-stack", LabIp.V6Only => ", IPv6 only", _ => "" }}";
}
