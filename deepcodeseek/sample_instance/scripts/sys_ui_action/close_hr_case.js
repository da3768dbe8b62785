// "Close Case" button; visible to HR agents when the case is Resolved
if (current.close_notes.nil()) {
    gs.addErrorMessage('Close notes are required');
    current.setAbortAction(true);
} else {
    var openTasks = new GlideAggregate('x_acme_hr_task');
    openTasks.addQuery('parent', current.getUniqueValue());
    openTasks.addActiveQuery();
    openTasks.addAggregate('COUNT');
    openTasks.query();
    var count = openTasks.next() ? parseInt(openTasks.getAggregate('COUNT'), 10) : 0;

    var closed = new HRCaseUtils().closeCase(current.getUniqueValue(), current.getValue('resolution_code'), current.getValue('close_notes'));
    if (closed) {
        gs.addInfoMessage('Case closed' + (count ? '; ' + count + ' open task(s) were closed with it' : ''));
    } else {
        gs.addErrorMessage('The case could not be closed');
    }
    action.setRedirectURL(current);
}
