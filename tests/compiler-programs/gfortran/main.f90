! The main program: calls into the module, prints with list-directed and
! formatted output (both go through libgfortran).
program main
  use counters
  implicit none
  real :: ratio
  call accumulate(4)
  ratio = real(total) / 7.0
  print '(A,I0)', 'total = ', total
  print '(A,F8.3)', 'ratio = ', ratio
  call accumulate(2)
  print *, 'final', total
end program main
