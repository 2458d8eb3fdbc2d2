using SecretChat.App.Chat;
using SecretChat.App.Composition;
using SecretChat.App.Settings;

namespace SecretChat.App.Cli;

/// <summary>The composition root's one line: which connector the real app uses.</summary>
public static class DefaultServices
{
    public static IChatConnector CreateConnector(AppSettings settings) => new ChatConnector();
}
