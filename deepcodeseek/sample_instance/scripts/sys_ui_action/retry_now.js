// "Retry Now" on Outbound Queue items in Failed or Retry state
var attempts = parseInt(current.getValue('attempts'), 10) || 0;
var policy = new RetryPolicy();

if (!policy.isTransient(current.getValue('last_status')) && !gs.hasRole('x_acme_integ.admin')) {
    gs.addErrorMessage('Last error (HTTP ' + current.getValue('last_status') + ') is not transient; ask an integration admin');
} else {
    current.setValue('state', 'ready');
    current.setValue('next_attempt_at', new GlideDateTime());
    if (attempts >= policy.maxAttempts)
        current.setValue('attempts', policy.maxAttempts - 1);
    current.update();

    var stats = new IntegrationQueueProcessor().processPending(1);
    gs.addInfoMessage('Sent: ' + stats.sent + ', retrying: ' + stats.retrying + ', failed: ' + stats.failed);
}
action.setRedirectURL(current);
