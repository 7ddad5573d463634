! A null pointer dereferenced in a subroutine. libgfortran installs its own
! SIGSEGV handler at startup (-fbacktrace is the default): natively it prints
! its message and backtrace, then the program dies by the signal.
module poking
  implicit none
contains
  subroutine poke(target_value, p)
    integer, intent(in) :: target_value
    integer, pointer :: p
    p = target_value
  end subroutine poke
end module poking

program main
  use poking
  implicit none
  integer, pointer :: q => null()
  integer, target :: cell
  q => cell
  call poke(5, q)
  print '(A,I0)', 'cell = ', cell
  flush(6)
  q => null()
  call poke(6, q)
  print '(A,I0)', 'not reached ', q
end program main
