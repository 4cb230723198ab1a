using System.Collections.Concurrent;
using IdentityTwoFactor.Sms;

namespace IdentityTwoFactor.Tests.Library.Support;

/// <summary>An SMS provider that keeps what it was asked to send (the app's side of <see cref="ISmsSender"/>; the
/// library's own code under test is all real).</summary>
public sealed class RecordingSmsSender : ISmsSender
{
    public ConcurrentQueue<(string To, string Text)> Sent { get; } = new();

    public Func<SmsSendResult> Answer { get; set; } = () => SmsSendResult.Sent("m-1");

    public Task<SmsSendResult> SendAsync(string toE164, string text, CancellationToken cancellationToken = default)
    {
        var answer = Answer();
        if (answer.Succeeded)
        {
            Sent.Enqueue((toE164, text));
        }
        return Task.FromResult(answer);
    }

    /// <summary>The 6-digit code in the last text to <paramref name="to"/>.</summary>
    public string LastCodeTo(string to) =>
        System.Text.RegularExpressions.Regex.Match(Sent.Last(s => s.To == to).Text, @"\b\d{6}\b").Value;
}
