namespace SecretChat.NatLab.Tests.Harness;

/// <summary>The comments natlab.sh puts on a router's counted rules, to read how many packets each dropped.</summary>
public static class RouterRule
{
    /// <summary>INPUT: anything from the WAN to the router itself that is not part of a known flow.</summary>
    public const string UnsolicitedToRouter = "sclab: unsolicited from WAN to router";

    /// <summary>FORWARD: anything from the WAN towards the LAN that is not part of a known flow.</summary>
    public const string UnsolicitedToLan = "sclab: unsolicited from WAN to LAN";

    /// <summary>FORWARD: the injected loss, LAN to WAN (present only when the layout has loss).</summary>
    public const string LossOutbound = "sclab: loss LAN to WAN";

    /// <summary>FORWARD: the injected loss, WAN to LAN (present only when the layout has loss).</summary>
    public const string LossInbound = "sclab: loss WAN to LAN";
}
