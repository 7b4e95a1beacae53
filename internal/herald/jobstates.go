package herald

// JobStates are every state of a job, in the order of its life: the order
// every listing, chart and metric of the queue uses.
var JobStates = []JobState{JobHeld, JobPending, JobSending, JobSent, JobSkipped, JobFailed}
