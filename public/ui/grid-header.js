/**
 * A grid column header that shows the column's name and type (from …/schema) and its sort state. A click
 * sorts (asc → desc → none); shift-click adds the column as another sort key (AG Grid's multi-sort). The
 * grid itself handles keyboard sorting (Enter on a focused header) and sets aria-sort.
 */
export class TypedHeader {
  init(params) {
    this.params = params;
    const el = document.createElement('div');
    el.className = 'typed-header';
    const name = document.createElement('span');
    name.className = 'h-name';
    name.textContent = params.displayName;
    const type = document.createElement('span');
    type.className = 'h-type';
    type.textContent = params.column.getColDef().headerComponentParams?.type ?? '';
    this.sortMark = document.createElement('span');
    this.sortMark.className = 'h-sort';
    this.sortMark.setAttribute('aria-hidden', 'true');
    el.append(name, type, this.sortMark);
    el.addEventListener('click', (e) => params.progressSort(e.shiftKey));
    this.onSort = () => this.showSort();
    // The grid's event, not the column's: a column's sort index is known only once every column is updated.
    params.api.addEventListener('sortChanged', this.onSort);
    this.el = el;
    this.showSort();
  }

  showSort() {
    const { column, api } = this.params;
    const sort = column.getSort();
    const keys = api.getColumnState().filter((c) => c.sort).length;
    const index = column.getSortIndex();
    this.sortMark.textContent = sort ? `${sort === 'asc' ? '▲' : '▼'}${keys > 1 && index != null ? index + 1 : ''}` : '';
  }

  getGui() {
    return this.el;
  }

  refresh() {
    return false;
  }

  destroy() {
    if (!this.params.api.isDestroyed()) this.params.api.removeEventListener('sortChanged', this.onSort);
  }
}
