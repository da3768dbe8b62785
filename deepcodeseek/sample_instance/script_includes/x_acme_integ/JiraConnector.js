var JiraConnector = Class.create();
JiraConnector.prototype = Object.extendsObject(AcmeRestClient, {

    initialize: function() {
        AcmeRestClient.prototype.initialize.call(this, 'jira_cloud');
        this.browseUrl = gs.getProperty('x_acme_integ.jira.browse_url', 'https://acme.atlassian.net/browse/');
    },

    /**
     * Creates a Jira issue. Priority uses ServiceNow numbering (1-4).
     * @returns {string} the new issue key (e.g. SEC-142), '' on failure
     */
    createIssue: function(projectKey, summary, description, priority) {
        var payload = {
            fields: {
                project: { key: projectKey },
                issuetype: { name: 'Task' },
                summary: summary.substring(0, 250),
                description: description || '',
                priority: { name: ({ '1': 'Highest', '2': 'High', '3': 'Medium', '4': 'Low' })[String(priority)] || 'Medium' }
            }
        };
        var res = this.post('/rest/api/2/issue', payload);
        return res.ok && res.body ? res.body.key : '';
    },

    addComment: function(issueKey, comment) {
        var res = this.post('/rest/api/2/issue/' + issueKey + '/comment', { body: comment });
        return res.ok;
    },

    getIssueStatus: function(issueKey) {
        var res = this.get('/rest/api/2/issue/' + issueKey, { fields: 'status,resolution,assignee' });
        if (!res.ok || !res.body)
            return null;
        return {
            status: res.body.fields.status.name,
            resolution: res.body.fields.resolution ? res.body.fields.resolution.name : '',
            assignee: res.body.fields.assignee ? res.body.fields.assignee.displayName : ''
        };
    },

    /**
     * Stores the issue key on the record and writes a work note with the link.
     */
    linkRecord: function(gr, issueKey) {
        if (gr.isValidField('external_reference'))
            gr.setValue('external_reference', issueKey);
        gr.work_notes = 'Jira issue created: ' + this.browseUrl + issueKey;
        return gr.update();
    },

    type: 'JiraConnector'
});
