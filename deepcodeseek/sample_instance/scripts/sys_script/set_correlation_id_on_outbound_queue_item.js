(function executeRule(current, previous /*null when async*/) {

    if (!current.correlation_id.nil())
        return;

    current.setValue('correlation_id', buildCorrelationId(current.getValue('endpoint')));

    // Priority items skip the batch and go out on the next run
    if (current.getValue('priority') == '1') {
        current.setValue('next_attempt_at', new GlideDateTime());
        current.setValue('state', 'ready');
    }

})(current, previous);
