// Copy buttons: a button[data-copy] copies the text of the element whose id it names.  Without
// scripts the button stays hidden, and a click on the citation selects all of it (CSS user-select).
"use strict";

function selectAll(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function copyText(element) {
  const text = element.textContent;
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return "Copied.";
  }
  selectAll(element);  // an http:// address other than this machine's has no clipboard API
  return document.execCommand("copy") ? "Copied." : "Selected: press Ctrl+C (⌘C) to copy.";
}

document.querySelectorAll("button[data-copy]").forEach((button) => {
  const source = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      status.textContent = await copyText(source);
    } catch (error) {
      selectAll(source);
      status.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    }
  });
});
