// "Complete Onboarding" on onboarding cases
var onboarding = new HROnboardingService();
var status = onboarding.getOnboardingStatus(current.getValue('subject_person'));

if (status && status.tasks_done < status.tasks_total) {
    gs.addErrorMessage((status.tasks_total - status.tasks_done) + ' onboarding task(s) are still open');
} else if (onboarding.completeOnboarding(current.getUniqueValue())) {
    gs.addInfoMessage('Onboarding for ' + current.getDisplayValue('subject_person') + ' completed');
    gs.eventQueue('x_acme_hr.onboarding.completed', current, current.getValue('subject_person'), current.getValue('opened_for'));
} else {
    gs.addErrorMessage('Onboarding could not be completed');
}
action.setRedirectURL(current);
