/* Remember the reader's script: the switcher and the chooser links carry data-edition. */
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-edition]");
  if (!link) return;
  try { localStorage.setItem("edition", link.getAttribute("data-edition")); } catch (e) {}
});
