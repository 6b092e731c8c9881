"""The Action plans and Milestones views and what they share.

* :mod:`.common` - field editors that save as they are left, messages at the field,
  RAG swatches, how a target date was read, ``today()``;
* :mod:`.commands` - the :class:`~PySide6.QtGui.QUndoCommand` every edit goes through
  (redo and undo call the services, in one transaction each);
* :mod:`.tree` - the themes > aims > actions tree model (drag and drop to reorder);
* :mod:`.editors` - the detail editors beside the tree (plan, theme, aim, action);
  :mod:`.indicator_links` - the action editor's linked performance indicators;
* :mod:`.dialogs` - plan properties, change history, copy forward, agencies, milestone,
  progress update, move to;
* :mod:`.view` - the Action plans view (tree, table, editors, moves, deletes) and
  :mod:`.operations` - what it does through dialogs (plans, agencies, milestones,
  progress updates); :mod:`.milestones_view` - the Milestones view.

The views are registered by :mod:`dvcoord.gui.views.plans` and
:mod:`dvcoord.gui.views.milestones`; they hold no domain rules - every rule is in
:mod:`dvcoord.services.plans`, :mod:`~dvcoord.services.milestones` and
:mod:`~dvcoord.services.agencies`.
"""
