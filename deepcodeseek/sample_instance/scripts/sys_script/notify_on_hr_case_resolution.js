(function executeRule(current, previous /*null when async*/) {

    // state 6 = Resolved; only fire on the transition into it
    if (current.getValue('state') != '6' || previous.getValue('state') == '6')
        return;

    if (current.close_notes.nil()) {
        gs.addErrorMessage('Please add resolution notes before resolving the case');
        return;
    }

    new HRNotificationHelper().notifyResolution(current);

    // Survey is only sent for non-confidential cases
    if (current.getValue('confidential') != '1')
        gs.eventQueue('x_acme_hr.case.survey', current, current.getValue('opened_for'), '');

})(current, previous);
