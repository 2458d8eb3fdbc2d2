using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace SecretChat.Web.Tests;

/// <summary>
/// Debian's chromium and chromedriver (packages <c>chromium</c>, <c>chromium-driver</c>). Missing, the browser tests are
/// skipped with the install hint, except on CI (<c>CI=true</c>), where they run and fail saying what to install.
/// </summary>
internal static class Chromium
{
    public const string InstallHint = "chromium is not installed: install it with 'apt-get install -y chromium chromium-driver' (Debian/Ubuntu)";

    public static bool IsCi =>
        Environment.GetEnvironmentVariable("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    public static string? Find(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator).Concat(["/usr/bin", "/usr/local/bin"]))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static bool IsInstalled => Find("chromium") is not null && Find("chromedriver") is not null;

    /// <summary>A headless chromium through its chromedriver (never Selenium Manager: nothing is downloaded).</summary>
    public static ChromeDriver Start()
    {
        var browser = Find("chromium") ?? throw new Xunit.Sdk.XunitException($"{InstallHint} (chromium was not found; CI=true requires it).");
        var driverPath = Find("chromedriver") ?? throw new Xunit.Sdk.XunitException($"{InstallHint} (chromedriver was not found; CI=true requires it).");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driverPath)!, Path.GetFileName(driverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = browser };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,860",
            "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync");
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Manage().Timeouts().ImplicitWait = TimeSpan.Zero;
        return driver;
    }
}

/// <summary>A fact that needs chromium: skipped with the reason when it is missing, unless CI=true (then it fails).</summary>
internal sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!Chromium.IsInstalled && !Chromium.IsCi)
            Skip = Chromium.InstallHint + " (set CI=true to make this a failure).";
    }
}
