// Progressive enhancement for the console: every page works without this script.
// - Uploads show their progress (XMLHttpRequest's upload events) and then "indexing".
// - A running FAQ job's page polls its progress and reloads itself when the job ends.
"use strict";

document.documentElement.classList.add("js");

function setupUpload(form) {
  const bar = form.querySelector("progress");
  const box = form.querySelector(".progress");
  const status = form.querySelector(".status-line");
  form.addEventListener("submit", (event) => {
    if (!form.reportValidity()) return;
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "text/html");
    box.hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
    status.textContent = "Uploading…";
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      bar.value = percent;
      if (percent === 100) status.textContent = "Uploaded. Checking and indexing the document…";
    });
    request.addEventListener("load", () => {
      if (request.status < 400) {
        window.location.assign(request.responseURL);  // the list, with the new document
        return;
      }
      // A refusal: show the page the server rendered, with its error, as it would without JS.
      const page = new DOMParser().parseFromString(request.responseText, "text/html");
      const main = page.querySelector("main");
      if (main) {
        document.querySelector("main").replaceWith(main);
        document.title = page.title;
        main.focus();
      } else {
        status.textContent = `The upload failed (HTTP ${request.status}).`;
      }
    });
    request.addEventListener("error", () => {
      status.textContent = "The upload failed: the guide could not be reached.";
      form.querySelector("button[type=submit]").disabled = false;
    });
    request.send(new FormData(form));
  });
}

function setupJobProgress(section) {
  if (section.dataset.running !== "true") return;
  const bar = section.querySelector("progress");
  const label = section.querySelector("label");
  const status = section.querySelector(".status-line");
  let last = null;
  const poll = async () => {
    let job;
    try {
      const response = await fetch(section.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      job = await response.json();
    } catch (error) {
      status.textContent = `Progress is not available just now (${error.message}); retrying.`;
      setTimeout(poll, 3000);
      return;
    }
    const finished = job.answered + job.failed;
    bar.max = job.total;
    bar.value = finished;
    label.textContent = `${finished} of ${job.total} questions finished`;
    if (job.status === "done" || job.status === "failed") {
      window.location.reload();  // the answers to review, or the reason it failed
      return;
    }
    // Announce only changes, so screen readers are not flooded.
    const text = `The job is ${job.status}: ${job.answered} answered, ${job.failed} failed so far.`;
    if (text !== last) status.textContent = last = text;
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  const upload = document.getElementById("upload-form");
  if (upload) setupUpload(upload);
  const job = document.querySelector(".job-progress");
  if (job) setupJobProgress(job);
});
